/* Every integer width and signedness the header reader accepts. */
struct widths_ops {
	void (*set_bool)(bool on, _Bool raw);
	bool (*is_ready)(int id);
	char (*get_char)(char c, signed char sc, unsigned char uc);
	short (*shorts)(short s, unsigned short us);
	unsigned int (*ints)(int i, unsigned int ui, unsigned u);
	long (*longs)(long l, unsigned long ul);
	unsigned long long (*long_longs)(long long ll, unsigned long long ull);
	s32 (*kernel_u)(u8 a, u16 b, u32 c, u64 d);
	s32 (*kernel_s)(s8 e, s16 f, s32 g, s64 h);
	__u64 (*uapi_u)(__u8 a, __u16 b, __u32 c, __u64 d);
	__u64 (*uapi_s)(__s8 e, __s16 f, __s32 g, __s64 h);
	uint64_t (*fixed_s)(int8_t a, int16_t b, int32_t c, int64_t d);
	uint64_t (*fixed_u)(uint8_t e, uint16_t f, uint32_t g, uint64_t h);
	void (*done)(void);
};
