struct vp_ops {
	int (*read)(void *data);
};
