package header

import (
	"fmt"
	"regexp"
	"strings"
)

// The prelude: what the kernel headers a spec commonly includes would
// declare, x86-64 LP64, parsed before the spec. A spec needs no #include;
// `#include <linux/...>` lines are served empty (the prelude covers the
// known ones, see hdrKnownIncludes).

// hdrPreludeName is the source name of the predefined prelude.
const hdrPreludeName = "<structops-prelude>"

// hdrHZ is the HZ the reader assumes: CONFIG_HZ of the Debian amd64
// kernels the project tests (6.12 and 7.3 both say CONFIG_HZ=250). A
// module whose spec uses HZ checks it at build time (model.Ops.HZ).
const hdrHZ = 250

// hdrPrelude declares the kernel's integer typedefs, the common kernel
// typedefs and structs, annotations and constant macros.
const hdrPrelude = `int __predefined_declarator;
#define __x86_64__ 1
#define __linux__ 1
#define __KERNEL__ 1
#define __STDC__ 1
#define __STDC_VERSION__ 201112L
#define true 1
#define false 0
#define NULL ((void *)0)
#define __bpf_kfunc
#define __kf_trusted_args
#define __kf_ret_null
#define __kf_sleepable
#define __user
#define __kernel
#define __iomem
#define __rcu
#define __percpu
#define __bitwise
#define __force
#define __must_check
#define __randomize_layout
#define __counted_by(x)
#define __nonstring
#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
#define __builtin_offsetof(type, member) ((unsigned long)&(((type *)0)->member))
#define offsetof(TYPE, MEMBER) __builtin_offsetof(TYPE, MEMBER)
#define _AC(X, Y) (X##Y)
#define _UL(x) (_AC(x, UL))
#define _ULL(x) (_AC(x, ULL))
#define _BITUL(x) (_UL(1) << (x))
#define _BITULL(x) (_ULL(1) << (x))
#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))
#define PAGE_SHIFT 12
#define PAGE_SIZE (_AC(1, UL) << PAGE_SHIFT)
#define TASK_COMM_LEN 16
#define MSEC_PER_SEC 1000L
#define USEC_PER_MSEC 1000L
#define NSEC_PER_USEC 1000L
#define NSEC_PER_MSEC 1000000L
#define USEC_PER_SEC 1000000L
#define NSEC_PER_SEC 1000000000L
#define HZ 250
typedef _Bool bool;
typedef signed char __s8;
typedef unsigned char __u8;
typedef signed short __s16;
typedef unsigned short __u16;
typedef signed int __s32;
typedef unsigned int __u32;
typedef signed long long __s64;
typedef unsigned long long __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef s8 int8_t;
typedef u8 uint8_t;
typedef s16 int16_t;
typedef u16 uint16_t;
typedef s32 int32_t;
typedef u32 uint32_t;
typedef s64 int64_t;
typedef u64 uint64_t;
typedef unsigned long size_t;
typedef unsigned long uintptr_t;
typedef long ssize_t;
typedef long ptrdiff_t;
typedef long off_t;
typedef long long loff_t;
typedef long long time64_t;
typedef long long ktime_t;
typedef int pid_t;
typedef int clockid_t;
typedef int key_serial_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned short umode_t;
typedef unsigned short mode_t;
typedef u32 dev_t;
typedef u32 nlink_t;
typedef unsigned int gfp_t;
typedef unsigned int fmode_t;
typedef unsigned int slab_flags_t;
typedef unsigned int __poll_t;
typedef u64 sector_t;
typedef u64 blkcnt_t;
typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef phys_addr_t resource_size_t;
typedef unsigned long irq_hw_number_t;
typedef __u16 __le16;
typedef __u16 __be16;
typedef __u16 __sum16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u64 __le64;
typedef __u64 __be64;
typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;
typedef struct { atomic_t refs; } refcount_t;
struct list_head { struct list_head *next, *prev; };
struct hlist_head { struct hlist_node *first; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct callback_head { struct callback_head *next; void (*func)(struct callback_head *head); };
#define rcu_head callback_head
struct rb_node { unsigned long __rb_parent_color; struct rb_node *rb_right; struct rb_node *rb_left; } __attribute__((aligned(sizeof(long))));
struct llist_node { struct llist_node *next; };
`

// hdrTypesH are the prelude's typedefs that <linux/types.h> declares (in
// every kernel the project targets): the generated C, which includes it,
// spells them as the spec does. Other prelude typedefs (ktime_t moved
// there only in 6.13, time64_t is <linux/time64.h>'s) are spelled by
// their underlying type.
var hdrTypesH = map[string]bool{
	"bool": true, "__s8": true, "__u8": true, "__s16": true, "__u16": true, "__s32": true, "__u32": true,
	"__s64": true, "__u64": true, "s8": true, "u8": true, "s16": true, "u16": true, "s32": true, "u32": true,
	"s64": true, "u64": true, "int8_t": true, "uint8_t": true, "int16_t": true, "uint16_t": true,
	"int32_t": true, "uint32_t": true, "int64_t": true, "uint64_t": true, "size_t": true, "uintptr_t": true,
	"ssize_t": true, "ptrdiff_t": true, "off_t": true, "loff_t": true, "pid_t": true, "clockid_t": true,
	"uid_t": true, "gid_t": true, "umode_t": true, "mode_t": true, "dev_t": true, "nlink_t": true,
	"gfp_t": true, "fmode_t": true, "slab_flags_t": true, "__poll_t": true, "sector_t": true,
	"blkcnt_t": true, "phys_addr_t": true, "dma_addr_t": true, "resource_size_t": true,
	"irq_hw_number_t": true, "__le16": true, "__be16": true, "__sum16": true, "__le32": true,
	"__be32": true, "__wsum": true, "__le64": true, "__be64": true,
}

// hdrKnownIncludes are the system headers whose content (as far as a spec
// uses it) the prelude covers.
var hdrKnownIncludes = map[string]bool{
	"linux/types.h": true, "asm/types.h": true, "asm-generic/int-ll64.h": true, "uapi/linux/types.h": true,
	"linux/stddef.h": true, "stddef.h": true, "stdint.h": true, "stdbool.h": true,
	"linux/compiler.h": true, "linux/compiler_types.h": true, "linux/compiler_attributes.h": true,
	"linux/list.h": true, "linux/const.h": true, "uapi/linux/const.h": true, "vdso/const.h": true,
	"linux/bits.h": true, "vdso/bits.h": true, "linux/jiffies.h": true, "linux/time64.h": true,
	"vdso/time64.h": true, "linux/ktime.h": true, "linux/gfp_types.h": true, "linux/gfp.h": true,
	"linux/rbtree_types.h": true, "linux/llist.h": true, "linux/refcount.h": true,
	"linux/refcount_types.h": true, "linux/atomic.h": true, "asm/page.h": true, "linux/sched.h": true,
	"linux/bpf.h": true, "linux/btf.h": true, "linux/module.h": true, "linux/kernel.h": true,
}

// hdrHZUse matches HZ as a word.
var hdrHZUse = regexp.MustCompile(`\bHZ\b`)

// hdrComments matches C comments, to look for uses of a macro outside them.
var hdrComments = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)

// hdrUsesHZ reports whether any of the sources uses the macro HZ (outside
// comments; a use in a string or a dead #if counts too, which only adds a
// harmless build-time check).
func hdrUsesHZ(srcs ...[]byte) bool {
	for _, s := range srcs {
		if hdrHZUse.Match(hdrComments.ReplaceAll(s, nil)) {
			return true
		}
	}
	return false
}

// hdrConfigTest matches a kernel configuration option a preprocessor
// conditional tests (#ifdef CONFIG_X, defined(CONFIG_X), IS_ENABLED(...)).
var hdrConfigTest = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*(?:if|ifdef|ifndef|elif)\b.*`)

var hdrConfigName = regexp.MustCompile(`\bCONFIG_\w+`)

// hdrConfigNotes says which CONFIG_ options the sources test: none is
// set while reading a spec, so what they guard is left out (a member
// under #ifdef CONFIG_CGROUPS does not exist in the model).
func hdrConfigNotes(names []string, srcs ...[]byte) []string {
	var notes []string
	for i, s := range srcs {
		seen := map[string]bool{}
		var opts []string
		for _, line := range hdrConfigTest.FindAll(hdrComments.ReplaceAll(s, nil), -1) {
			for _, c := range hdrConfigName.FindAll(line, -1) {
				if !seen[string(c)] {
					seen[string(c)] = true
					opts = append(opts, string(c))
				}
			}
		}
		if len(opts) > 0 {
			notes = append(notes, fmt.Sprintf("%s tests %s, which the reader leaves unset: "+
				"what those conditionals guard is read as for a kernel without them", names[i], strings.Join(opts, ", ")))
		}
	}
	return notes
}
