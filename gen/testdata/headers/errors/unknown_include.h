#include <linux/types.h>
#include <net/sock.h>

struct t_ops {
	int (*run)(sk_buff_t *skb);
};
