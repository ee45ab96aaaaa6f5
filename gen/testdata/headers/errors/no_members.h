struct empty_ops {
};
