/* only a comment */
struct sock;
