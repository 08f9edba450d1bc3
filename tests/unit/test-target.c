/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bootloader and application model driven by hand through its API, the way a central
 * would: Select/Create/write/CRC/Execute with real bytes, on a virtual clock. */
#include <cjson/cJSON.h>
#include <string.h>
#include <zlib.h>

#include "core/bdfu-image.h"
#include "core/bdfu-init-packet.h"
#include "core/bdfu-package.h"
#include "core/bdfu-proto.h"
#include "core/bdfu-target.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

#define S_TO_US(s) ((guint64)(s)*G_USEC_PER_SEC)
#define MS_TO_US(ms) ((guint64)(ms)*1000)

/* the central side: everything the target said, on a virtual clock */
typedef struct {
	BdfuTarget *target;
	guint64 now;
	GPtrArray *notes;	/* GBytes: CP notifications */
	GPtrArray *indications; /* GBytes */
	GArray *disconnects;	/* guint8 reasons */
	GArray *modes;		/* BdfuTargetMode */
	BdfuKey *key;		/* signs the init packets */
	gsize chunk;
} Host;

static void
host_notify(gpointer user_data, const guint8 *buf, gsize len)
{
	Host *host = user_data;
	g_ptr_array_add(host->notes, g_bytes_new(buf, len));
}

static void
host_indicate(gpointer user_data, const guint8 *buf, gsize len)
{
	Host *host = user_data;
	g_ptr_array_add(host->indications, g_bytes_new(buf, len));
}

static void
host_disconnected(gpointer user_data, guint8 reason)
{
	Host *host = user_data;
	g_array_append_val(host->disconnects, reason);
}

static void
host_mode(gpointer user_data, BdfuTargetMode mode, const gchar *reason)
{
	Host *host = user_data;
	g_assert_nonnull(reason);
	g_array_append_val(host->modes, mode);
}

static void
host_log(gpointer user_data, const gchar *message)
{
	if (g_getenv("BDFU_TARGET_LOG") != NULL)
		g_printerr("target: %s\n", message);
}

static const BdfuTargetCallbacks host_callbacks = {
    .notify = host_notify,
    .indicate = host_indicate,
    .disconnected = host_disconnected,
    .mode_changed = host_mode,
    .log = host_log,
};

/* a device in DFU mode with an SDK 17.1 bootloader, S140 7.2.0 (apps at 0x27000) */
static void
config_default(BdfuTargetConfig *config, BdfuKey *key)
{
	bdfu_target_config_init(config);
	config->flash_size = 0x100000;
	config->bootloader_start = 0xF8000;
	config->start_in_dfu = TRUE;
	config->app_valid = FALSE;
	if (key != NULL)
		config->has_public_key = bdfu_key_get_raw_le(key, config->public_key_le);
}

static Host *
host_new(const BdfuTargetConfig *config, BdfuKey *key)
{
	Host *host = g_new0(Host, 1);
	host->notes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	host->indications = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	host->disconnects = g_array_new(FALSE, FALSE, 1);
	host->modes = g_array_new(FALSE, FALSE, sizeof(BdfuTargetMode));
	host->key = key;
	host->now = 1000000;
	host->target = bdfu_target_new(config, &host_callbacks, host);
	bdfu_target_advance(host->target, host->now);
	host->chunk = 20;
	return host;
}

static void
host_free(Host *host)
{
	bdfu_target_free(host->target);
	g_ptr_array_unref(host->notes);
	g_ptr_array_unref(host->indications);
	g_array_unref(host->disconnects);
	g_array_unref(host->modes);
	g_free(host);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Host, host_free)

static void
host_advance(Host *host, guint64 us)
{
	host->now += us;
	bdfu_target_advance(host->target, host->now);
}

/* runs the clock until the target has nothing left to do before `limit_us` from now */
static void
host_settle(Host *host, guint64 limit_us)
{
	guint64 end = host->now + limit_us;
	for (;;) {
		guint64 next = bdfu_target_next_event_us(host->target);
		if (next > end)
			break;
		host->now = MAX(host->now, next);
		bdfu_target_advance(host->target, host->now);
	}
	host->now = end;
	bdfu_target_advance(host->target, host->now);
}

/* connects, exchanges the MTU, enables CP notifications */
static void
host_connect(Host *host, guint16 mtu)
{
	g_assert_true(bdfu_target_connect(host->target));
	host->chunk = (bdfu_target_exchange_mtu(host->target, mtu) - 3u) & ~3u;
	bdfu_target_set_cp_notify(host->target, TRUE);
}

static GBytes *
host_take_note(Host *host)
{
	if (host->notes->len == 0)
		return NULL;
	return g_ptr_array_steal_index(host->notes, 0);
}

/* writes a CP request and returns the one notification it produced */
static GBytes *
host_cp(Host *host, const guint8 *req, gsize len)
{
	g_assert_cmpuint(host->notes->len, ==, 0);
	g_assert_cmpuint(bdfu_target_write_cp(host->target, req, len), ==, 0);
	g_assert_cmpuint(host->notes->len, <=, 1);
	return host_take_note(host);
}

static guint32
get_u32(const guint8 *p)
{
	return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

/* asserts "60 op result [ext]" */
static void
assert_result(GBytes *note, guint8 op, guint8 result, guint8 ext)
{
	gsize len = 0;
	const guint8 *p;
	g_assert_nonnull(note);
	p = g_bytes_get_data(note, &len);
	g_assert_cmpuint(len, >=, 3);
	g_assert_cmphex(p[0], ==, 0x60);
	g_assert_cmphex(p[1], ==, op);
	if (p[2] != result || (result == BDFU_RES_EXT_ERROR && (len < 4 || p[3] != ext)))
		g_error("expected 60 %02X %02X %02X, got 60 %02X %02X %02X",
			op,
			result,
			ext,
			p[1],
			p[2],
			len > 3 ? p[3] : 0);
	if (result == BDFU_RES_EXT_ERROR)
		g_assert_cmpuint(len, ==, 4);
}

static void
assert_result_free(GBytes *note, guint8 op, guint8 result, guint8 ext)
{
	assert_result(note, op, result, ext);
	g_bytes_unref(note);
}

static void
host_expect(Host *host, const guint8 *req, gsize len, guint8 result, guint8 ext)
{
	assert_result_free(host_cp(host, req, len), req[0], result, ext);
}

static void
host_select(Host *host, guint8 type, guint32 *max, guint32 *offset, guint32 *crc)
{
	guint8 req[2] = {BDFU_OP_SELECT, type};
	g_autoptr(GBytes) note = host_cp(host, req, sizeof(req));
	const guint8 *p;
	gsize len = 0;
	assert_result(note, BDFU_OP_SELECT, BDFU_RES_SUCCESS, 0);
	p = g_bytes_get_data(note, &len);
	g_assert_cmpuint(len, ==, 15);
	if (max != NULL)
		*max = get_u32(p + 3);
	*offset = get_u32(p + 7);
	*crc = get_u32(p + 11);
}

static void
host_crc(Host *host, guint32 *offset, guint32 *crc)
{
	guint8 req[1] = {BDFU_OP_CALC_CRC};
	g_autoptr(GBytes) note = host_cp(host, req, sizeof(req));
	const guint8 *p;
	gsize len = 0;
	assert_result(note, BDFU_OP_CALC_CRC, BDFU_RES_SUCCESS, 0);
	p = g_bytes_get_data(note, &len);
	g_assert_cmpuint(len, ==, 11);
	*offset = get_u32(p + 3);
	*crc = get_u32(p + 7);
}

static void
host_create(Host *host, guint8 type, guint32 size, guint8 result)
{
	guint8 req[6] = {BDFU_OP_CREATE, type, size, size >> 8, size >> 16, size >> 24};
	host_expect(host, req, sizeof(req), result, 0);
}

static void
host_set_prn(Host *host, guint16 prn)
{
	guint8 req[3] = {BDFU_OP_SET_PRN, prn, prn >> 8};
	host_expect(host, req, sizeof(req), BDFU_RES_SUCCESS, 0);
}

static void
host_write(Host *host, const guint8 *data, gsize len)
{
	for (gsize off = 0; off < len; off += host->chunk) {
		gsize n = MIN(host->chunk, len - off);
		g_assert_true(bdfu_target_write_packet(host->target, data + off, n));
		/* a central sends a few packets per connection event */
		host_advance(host, 2500);
	}
}

/* Execute, waiting for the answer as long as the flash needs */
static GBytes *
host_execute(Host *host)
{
	guint8 req[1] = {BDFU_OP_EXECUTE};
	g_assert_cmpuint(host->notes->len, ==, 0);
	g_assert_cmpuint(bdfu_target_write_cp(host->target, req, 1), ==, 0);
	for (guint i = 0; i < 1000 && host->notes->len == 0; i++)
		host_advance(host, 1000);
	return host_take_note(host);
}

/* Create command, write, CRC, Execute: the Execute answer */
static GBytes *
host_send_init(Host *host, GBytes *dat)
{
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(dat, &len);
	guint32 offset, crc;

	host_set_prn(host, 0);
	host_create(host, BDFU_OBJ_COMMAND, (guint32)len, BDFU_RES_SUCCESS);
	host_write(host, p, len);
	host_crc(host, &offset, &crc);
	g_assert_cmpuint(offset, ==, len);
	g_assert_cmphex(crc, ==, crc32(0, p, len));
	return host_execute(host);
}

/* every object: Create, write, CRC, Execute; the last Execute answer */
static GBytes *
host_send_image(Host *host, GBytes *bin)
{
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(bin, &len);
	GBytes *last = NULL;

	for (gsize off = 0; off < len; off += 4096) {
		gsize n = MIN(4096, len - off);
		guint32 offset, crc;
		host_create(host, BDFU_OBJ_DATA, (guint32)n, BDFU_RES_SUCCESS);
		/* the page erase runs first; a careful central waits for it (§9.1) */
		host_advance(host, MS_TO_US(100));
		host_write(host, p + off, n);
		host_crc(host, &offset, &crc);
		g_assert_cmpuint(offset, ==, off + n);
		g_assert_cmphex(crc, ==, crc32(0, p, off + n));
		g_clear_pointer(&last, g_bytes_unref);
		last = host_execute(host);
		if (off + n < len)
			assert_result(last, BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	}
	return last;
}

/* the objects from `offset` on (an object boundary), then boot */
static BdfuTargetMode
update_and_boot_from(Host *host, GBytes *bin, guint32 offset)
{
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(bin, &len);

	for (gsize off = offset; off < len; off += 4096) {
		gsize n = MIN(4096, len - off);
		g_autoptr(GBytes) note = NULL;
		host_create(host, BDFU_OBJ_DATA, (guint32)n, BDFU_RES_SUCCESS);
		host_advance(host, MS_TO_US(100));
		host_write(host, p + off, n);
		note = host_execute(host);
		assert_result(note, BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	}
	host_settle(host, S_TO_US(10));
	return bdfu_target_get_mode(host->target);
}

static void
put_u32(guint8 *p, guint32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* an application linked at app_start: SP in RAM, Thumb reset handler right after the vectors */
static GBytes *
make_app(guint32 app_start, gsize len, guint8 seed)
{
	guint8 *data = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		data[i] = (guint8)(i * 7 + seed);
	put_u32(data, 0x20010000);
	put_u32(data + 4, app_start + 0x201);
	return g_bytes_new_take(data, len);
}

/* a merged hex from 0x1000: SoftDevice S132 5.0.0 (vectors and info struct), gap, app */
static GBytes *
make_merged(void)
{
	gsize len = 0x22000 + 2168;
	guint8 *data = g_malloc(len);
	memset(data, 0xFF, len);
	put_u32(data, 0x200012E8);
	put_u32(data + 4, 0x00021D11);
	data[0x2000] = 0x2C;
	put_u32(data + 0x2004, BDFU_SD_INFO_MAGIC);
	put_u32(data + 0x2008, 0x23000);
	data[0x200C] = 0x9D;
	data[0x200D] = 0x00;
	put_u32(data + 0x2010, 132);
	put_u32(data + 0x2014, 5000000);
	put_u32(data + 0x22000, 0x20007670);
	put_u32(data + 0x22004, 0x00023215);
	return g_bytes_new_take(data, len);
}

/* a SoftDevice image from 0x1000 with its info struct */
static GBytes *
make_softdevice(guint16 fwid, guint32 sd_end, guint32 sd_id, guint32 version, gsize len)
{
	guint8 *data = g_malloc(len);
	memset(data, 0x5A, len);
	put_u32(data, 0x20000400);
	put_u32(data + 4, 0x00001001);
	data[0x2000] = 0x2C;
	put_u32(data + 0x2004, BDFU_SD_INFO_MAGIC);
	put_u32(data + 0x2008, sd_end);
	data[0x200C] = fwid & 0xFF;
	data[0x200D] = fwid >> 8;
	put_u32(data + 0x2010, sd_id);
	put_u32(data + 0x2014, version);
	return g_bytes_new_take(data, len);
}

/* an InitCommand as nrfutil fills it for an application */
static void
init_for_app(BdfuInitPacket *init, GBytes *bin, guint16 sd_fwid, guint32 version)
{
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(bin, &len);
	memset(init, 0, sizeof(*init));
	init->has_op_code = TRUE;
	init->op_code = 1;
	init->has_init = TRUE;
	init->has_fw_version = TRUE;
	init->fw_version = version;
	init->has_hw_version = TRUE;
	init->hw_version = 52;
	init->sd_req_len = 1;
	init->sd_req[0] = sd_fwid;
	init->has_type = TRUE;
	init->type = BDFU_FW_TYPE_APPLICATION;
	init->has_sd_size = init->has_bl_size = TRUE;
	init->has_app_size = TRUE;
	init->app_size = (guint32)len;
	init->has_hash = TRUE;
	init->hash_type = BDFU_HASH_TYPE_SHA256;
	init->hash_len = 32;
	bdfu_init_packet_hash_image(p, len, init->hash);
	init->has_is_debug = TRUE;
}

static GBytes *
encode(const BdfuInitPacket *init, BdfuKey *key)
{
	g_autoptr(GError) error = NULL;
	GBytes *dat = bdfu_init_packet_encode(init, key, &error);
	g_assert_no_error(error);
	return dat;
}

static BdfuKey *
new_key(void)
{
	g_autoptr(GError) error = NULL;
	BdfuKey *key = bdfu_key_generate(&error);
	g_assert_no_error(error);
	return key;
}

/* the whole of a good app update, written by hand */
static void
test_target_app_update(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 10000, 1);
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(Host) host = NULL;
	g_autoptr(GBytes) note = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;
	guint32 max, offset, crc;

	config_default(&config, key);
	host = host_new(&config, key);
	bdfu_target_config_clear(&config);
	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);

	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
	g_assert_cmpuint(bdfu_target_get_address_increment(host->target), ==, 1);
	g_assert_cmpstr(bdfu_target_get_adv_name(host->target), ==, "DfuTarg");
	host_connect(host, 247);
	g_assert_cmpuint(host->chunk, ==, 244);

	host_select(host, BDFU_OBJ_COMMAND, &max, &offset, &crc);
	g_assert_cmpuint(max, ==, 512);
	g_assert_cmpuint(offset, ==, 0);
	note = host_send_init(host, dat);
	assert_result(note, BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	g_clear_pointer(&note, g_bytes_unref);
	/* the init packet is stored: Select shows it, a second Execute is accepted as is */
	host_select(host, BDFU_OBJ_COMMAND, NULL, &offset, &crc);
	g_assert_cmpuint(offset, ==, g_bytes_get_size(dat));
	g_assert_cmphex(crc, ==, crc32(0, g_bytes_get_data(dat, NULL), g_bytes_get_size(dat)));
	assert_result_free(host_execute(host), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);

	host_select(host, BDFU_OBJ_DATA, &max, &offset, &crc);
	g_assert_cmpuint(max, ==, 4096);
	g_assert_cmpuint(offset, ==, 0);
	note = host_send_image(host, bin);
	assert_result(note, BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	g_assert_cmpuint(bdfu_target_get_flash_bytes_written(host->target), ==, 10000);

	/* 200 ms later the target terminates the link, resets and boots the new app */
	host_advance(host, MS_TO_US(199));
	g_assert_cmpuint(host->disconnects->len, ==, 0);
	host_advance(host, MS_TO_US(1));
	g_assert_cmpuint(host->disconnects->len, ==, 1);
	g_assert_cmphex(g_array_index(host->disconnects, guint8, 0), ==, 0x13);
	g_assert_false(bdfu_target_is_connected(host->target));
	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_RESETTING);
	g_assert_null(bdfu_target_get_adv_name(host->target));
	host_settle(host, S_TO_US(5));
	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_APP);
	g_assert_cmpuint(bdfu_target_get_app_version(host->target), ==, 3);
	g_assert_true(bdfu_target_get_app_valid(host->target));
	g_assert_cmpuint(bdfu_target_get_address_increment(host->target), ==, 0);
	g_assert_cmpstr(bdfu_target_get_adv_name(host->target), ==, "Nordic_Buttonless");
	g_assert_nonnull(strstr(bdfu_target_get_boot_reason(host->target), "0x27000"));
	g_assert_cmpuint(host->modes->len, ==, 2);
	g_assert_cmpint(g_array_index(host->modes, BdfuTargetMode, 1), ==, BDFU_TARGET_MODE_APP);
	g_assert_cmpuint(bdfu_target_get_dropped_packets(host->target), ==, 0);
}

typedef void (*InitChange)(BdfuInitPacket *init, BdfuTargetConfig *config);

typedef struct {
	const gchar *name;
	InitChange change;
	gboolean unsigned_packet;
	guint8 result;
	guint8 ext;
} InitRule;

static void
no_change(BdfuInitPacket *init, BdfuTargetConfig *config)
{
}

/* each case also breaks every later rule, so the first failure must win */
static void
bad_type(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->has_type = FALSE;
	init->hash_type = BDFU_HASH_TYPE_SHA512;
	init->hw_version = 51;
}
static void
unsupported_type(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->type = BDFU_FW_TYPE_EXTERNAL_APPLICATION;
	init->hw_version = 51;
}
static void
bad_hash(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->hash_type = BDFU_HASH_TYPE_SHA512;
	init->hw_version = 51;
}
static void
no_hw(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->has_hw_version = FALSE;
	init->sd_req[0] = 0xA8;
}
static void
bad_hw(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->hw_version = 51;
	init->sd_req[0] = 0xA8;
	config->app_version = 10;
}
static void
bad_sd(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->sd_req[0] = 0xA8;
	config->app_version = 10;
}
static void
sd_any(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->sd_req[0] = BDFU_SD_REQ_ANY;
}
static void
sd_empty(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->sd_req_len = 0;
}
static void
sd_zero_then_more(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->sd_req_len = 2;
	init->sd_req[0] = 0;
	init->sd_req[1] = 0x100;
}
static void
low_version(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	config->app_version = 10;
	init->has_app_size = FALSE;
}
static void
same_version(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	config->app_version = init->fw_version;
}
static void
no_version(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->has_fw_version = FALSE;
	init->has_app_size = FALSE;
}
static void
no_size(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	init->has_app_size = FALSE;
	config->bootloader_start = 0x2A000;
}
static void
too_big(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	/* bank 0 ends three pages below the bootloader: 8 KiB of room for 10000 bytes */
	config->bootloader_start = 0x2C000;
}
static void
debug_skips(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	config->debug_bootloader = TRUE;
	init->is_debug = TRUE;
	init->hw_version = 51;
	init->sd_req[0] = 0xA8;
	config->app_version = 10;
}
static void
debug_release(BdfuInitPacket *init, BdfuTargetConfig *config)
{
	/* SDK 15+ release bootloaders ignore is_debug: the hw check still applies */
	init->is_debug = TRUE;
	init->hw_version = 51;
}

static void
test_target_init_rules(void)
{
	const InitRule rules[] = {
	    {"good", no_change, FALSE, BDFU_RES_SUCCESS, 0},
	    {"unsigned", bad_hw, TRUE, BDFU_RES_EXT_ERROR, BDFU_EXT_SIGNATURE_MISSING},
	    {"type missing", bad_type, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_INIT_COMMAND_INVALID},
	    {"external app",
	     unsupported_type,
	     FALSE,
	     BDFU_RES_EXT_ERROR,
	     BDFU_EXT_INIT_COMMAND_INVALID},
	    {"hash type", bad_hash, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_WRONG_HASH_TYPE},
	    {"hw missing", no_hw, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_INIT_COMMAND_INVALID},
	    {"hw version", bad_hw, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_HW_VERSION_FAILURE},
	    {"sd_req", bad_sd, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_SD_VERSION_FAILURE},
	    {"sd_req any", sd_any, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_SD_VERSION_FAILURE},
	    {"sd_req empty", sd_empty, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_SD_VERSION_FAILURE},
	    {"sd_req 0 + more",
	     sd_zero_then_more,
	     FALSE,
	     BDFU_RES_EXT_ERROR,
	     BDFU_EXT_SD_VERSION_FAILURE},
	    {"version", low_version, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_FW_VERSION_FAILURE},
	    {"same version", same_version, FALSE, BDFU_RES_SUCCESS, 0},
	    {"version missing",
	     no_version,
	     FALSE,
	     BDFU_RES_EXT_ERROR,
	     BDFU_EXT_INIT_COMMAND_INVALID},
	    {"size missing", no_size, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_INIT_COMMAND_INVALID},
	    {"space", too_big, FALSE, BDFU_RES_INSUFFICIENT_RESOURCES, 0},
	    {"debug bootloader", debug_skips, FALSE, BDFU_RES_SUCCESS, 0},
	    {"debug flag, release",
	     debug_release,
	     FALSE,
	     BDFU_RES_EXT_ERROR,
	     BDFU_EXT_HW_VERSION_FAILURE},
	};
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 10000, 2);

	for (guint i = 0; i < G_N_ELEMENTS(rules); i++) {
		g_autoptr(Host) host = NULL;
		g_autoptr(GBytes) dat = NULL;
		BdfuTargetConfig config;
		BdfuInitPacket init;

		g_test_message("rule: %s", rules[i].name);
		config_default(&config, key);
		init_for_app(&init, bin, 0x100, 3);
		rules[i].change(&init, &config);
		dat = encode(&init, rules[i].unsigned_packet ? NULL : key);
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		assert_result_free(
		    host_send_init(host, dat), BDFU_OP_EXECUTE, rules[i].result, rules[i].ext);
		/* data objects need a valid init command */
		host_create(host,
			    BDFU_OBJ_DATA,
			    4096,
			    rules[i].result == BDFU_RES_SUCCESS ? BDFU_RES_SUCCESS
								: BDFU_RES_OPERATION_NOT_PERMITTED);
	}
}

/* rule 1 and the signature rules need hand-made bytes */
static void
test_target_init_parse_and_signature(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(BdfuKey) other = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 10000, 3);
	const guint8 junk[] = {0x12, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	BdfuInitPacket init;
	BdfuTargetConfig config;
	g_autoptr(GBytes) wrong_key = NULL;
	g_autoptr(GBytes) good = NULL;
	g_autoptr(GBytes) bad_type = NULL;
	guint8 *copy;
	gsize len = 0;

	init_for_app(&init, bin, 0x100, 3);
	wrong_key = encode(&init, other);
	good = encode(&init, key);
	/* SignedCommand.signature_type = ED25519 */
	len = g_bytes_get_size(good);
	copy = g_memdup2(g_bytes_get_data(good, NULL), len);
	for (gsize i = 0; i + 3 < len; i++) {
		if (copy[i] == 0x10 && copy[i + 1] == 0x00 && copy[i + 2] == 0x1A &&
		    copy[i + 3] == 0x40)
			copy[i + 1] = 0x01;
	}
	bad_type = g_bytes_new_take(copy, len);

	{
		g_autoptr(Host) host = NULL;
		g_autoptr(GBytes) dat = g_bytes_new_static(junk, sizeof(junk));
		config_default(&config, key);
		host = host_new(&config, key);
		host_connect(host, 247);
		assert_result_free(
		    host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_INVALID_OBJECT, 0);
		assert_result_free(
		    host_send_init(host, wrong_key), BDFU_OP_EXECUTE, BDFU_RES_INVALID_OBJECT, 0);
		assert_result_free(host_send_init(host, bad_type),
				   BDFU_OP_EXECUTE,
				   BDFU_RES_EXT_ERROR,
				   BDFU_EXT_WRONG_SIGNATURE_TYPE);
		assert_result_free(
		    host_send_init(host, good), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		bdfu_target_config_clear(&config);
	}
	/* no key in the bootloader: unsigned packets are fine */
	{
		g_autoptr(Host) host = NULL;
		g_autoptr(GBytes) dat = encode(&init, NULL);
		config_default(&config, NULL);
		host = host_new(&config, NULL);
		host_connect(host, 247);
		assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		bdfu_target_config_clear(&config);
	}
}

/* older bootloaders answer the same mistakes differently (§8.1, §10) */
static void
test_target_init_old_sdks(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x23000, 6000, 4);
	BdfuInitPacket init;
	const struct {
		guint sdk;
		gboolean sign;
		guint32 hw;
		gboolean debug;
		guint8 result;
		guint8 ext;
	} cases[] = {
	    {14, FALSE, 52, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_UNKNOWN_COMMAND},
	    {14, TRUE, 51, FALSE, BDFU_RES_EXT_ERROR, BDFU_EXT_HW_VERSION_FAILURE},
	    {14, TRUE, 52, TRUE, BDFU_RES_OPERATION_FAILED, 0},
	    {12, FALSE, 52, FALSE, BDFU_RES_OPERATION_FAILED, 0},
	    {12, TRUE, 51, FALSE, BDFU_RES_OPERATION_FAILED, 0},
	    {14, TRUE, 52, FALSE, BDFU_RES_SUCCESS, 0},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(Host) host = NULL;
		g_autoptr(GBytes) dat = NULL;
		BdfuTargetConfig config;
		guint32 max, offset, crc;

		config_default(&config, key);
		config.sdk_major = cases[i].sdk;
		config.sdk_minor = 0;
		config.sd_fwid = 0x9D;
		config.flash_size = 0x80000;
		config.bootloader_start = 0x78000;
		init_for_app(&init, bin, 0x9D, 1);
		init.hw_version = cases[i].hw;
		init.is_debug = cases[i].debug;
		dat = encode(&init, cases[i].sign ? key : NULL);
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		/* SDK 12-14: MTU 23, init max 256 */
		g_assert_cmpuint(host->chunk, ==, 20);
		host_select(host, BDFU_OBJ_COMMAND, &max, &offset, &crc);
		g_assert_cmpuint(max, ==, 256);
		assert_result_free(
		    host_send_init(host, dat), BDFU_OP_EXECUTE, cases[i].result, cases[i].ext);
	}
}

/* Control Point results outside the init packet (§2, §3.7) */
static void
test_target_cp_results(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 10000, 5);
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;
	const guint8 execute[] = {BDFU_OP_EXECUTE};
	const guint8 version[] = {BDFU_OP_PROTOCOL_VERSION};
	const guint8 bogus[] = {0x42};
	const guint8 select3[] = {BDFU_OP_SELECT, 3};
	const guint8 crc_req[] = {BDFU_OP_CALC_CRC};
	const guint8 create[] = {BDFU_OP_CREATE, BDFU_OBJ_COMMAND, 0x10, 0, 0, 0};

	config_default(&config, key);
	host = host_new(&config, key);
	bdfu_target_config_clear(&config);
	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);

	g_assert_true(bdfu_target_connect(host->target));
	g_assert_false(bdfu_target_connect(host->target));
	g_assert_cmpuint(bdfu_target_exchange_mtu(host->target, 185), ==, 183);
	g_assert_cmpuint(bdfu_target_exchange_mtu(host->target, 517), ==, 247);
	/* CCCD off: the write is refused and nothing happens */
	g_assert_cmphex(bdfu_target_write_cp(host->target, create, sizeof(create)), ==, 0xFD);
	g_assert_cmpuint(host->notes->len, ==, 0);
	bdfu_target_set_cp_notify(host->target, TRUE);
	host->chunk = 244;

	host_expect(host, version, 1, BDFU_RES_OP_CODE_NOT_SUPPORTED, 0);
	host_expect(host, bogus, 1, BDFU_RES_OP_CODE_NOT_SUPPORTED, 0);
	host_create(host, BDFU_OBJ_COMMAND, 0, BDFU_RES_INVALID_PARAMETER);
	host_create(host, BDFU_OBJ_COMMAND, 513, BDFU_RES_INSUFFICIENT_RESOURCES);
	host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_OPERATION_NOT_PERMITTED);
	/* an invalid type poisons CRC and Execute until the next valid Select */
	host_expect(host, select3, sizeof(select3), BDFU_RES_INVALID_OBJECT, 0);
	host_expect(host, crc_req, 1, BDFU_RES_INVALID_OBJECT, 0);
	host_expect(host, execute, 1, BDFU_RES_INVALID_OBJECT, 0);
	/* Execute before the command object is complete */
	host_create(host, BDFU_OBJ_COMMAND, (guint32)g_bytes_get_size(dat), BDFU_RES_SUCCESS);
	host_write(host, g_bytes_get_data(dat, NULL), 20);
	host_expect(host, execute, 1, BDFU_RES_OPERATION_NOT_PERMITTED, 0);
	assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);

	/* data objects: page multiples except the last, at most 4096, within the image */
	host_create(host, BDFU_OBJ_DATA, 0, BDFU_RES_INVALID_PARAMETER);
	host_create(host, BDFU_OBJ_DATA, 100, BDFU_RES_INVALID_PARAMETER);
	host_create(host, BDFU_OBJ_DATA, 8192, BDFU_RES_INSUFFICIENT_RESOURCES);
	/* Execute with nothing created, and with a created but empty object */
	host_expect(host, execute, 1, BDFU_RES_OPERATION_NOT_PERMITTED, 0);
	host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
	host_advance(host, MS_TO_US(100));
	host_expect(host, execute, 1, BDFU_RES_OPERATION_NOT_PERMITTED, 0);
	/* half an object */
	host_write(host, g_bytes_get_data(bin, NULL), 244 * 4);
	host_expect(host, execute, 1, BDFU_RES_OPERATION_NOT_PERMITTED, 0);
	{
		guint32 offset, crc;
		host_crc(host, &offset, &crc);
		g_assert_cmpuint(offset, ==, 244 * 4);
		/* a new Create drops the unexecuted bytes */
		host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
		host_crc(host, &offset, &crc);
		g_assert_cmpuint(offset, ==, 0);
		g_assert_cmphex(crc, ==, 0);
	}
	/* only the last object may be short */
	host_create(host, BDFU_OBJ_DATA, 10000 - 8192, BDFU_RES_INVALID_PARAMETER);
}

static void
test_target_cp_old_sdk(void)
{
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	const guint8 short_create[] = {BDFU_OP_CREATE, BDFU_OBJ_COMMAND, 0x10};
	const guint8 abort_req[] = {BDFU_OP_ABORT};
	const guint8 select3[] = {BDFU_OP_SELECT, 3};

	config_default(&config, NULL);
	config.sdk_major = 14;
	config.sdk_minor = 2;
	config.max_att_mtu = 23;
	host = host_new(&config, NULL);
	bdfu_target_config_clear(&config);
	host_connect(host, 247);
	g_assert_cmpuint(host->chunk, ==, 20);
	host_expect(host, short_create, sizeof(short_create), BDFU_RES_INVALID_PARAMETER, 0);
	host_expect(host, abort_req, 1, BDFU_RES_INVALID_PARAMETER, 0);
	host_expect(host, select3, sizeof(select3), BDFU_RES_UNSUPPORTED_TYPE, 0);
}

/* a PRN every N accepted packets, for both object types (§3.3) */
static void
test_target_prn(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 10000, 6);
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;
	const guint8 *p;
	gsize dat_len = 0;

	config_default(&config, key);
	host = host_new(&config, key);
	bdfu_target_config_clear(&config);
	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);
	p = g_bytes_get_data(dat, &dat_len);
	host_connect(host, 23);

	host_set_prn(host, 2);
	host_create(host, BDFU_OBJ_COMMAND, (guint32)dat_len, BDFU_RES_SUCCESS);
	for (guint i = 0; i < 4; i++) {
		g_assert_true(bdfu_target_write_packet(host->target, p + 20 * i, 20));
		if (i % 2 == 0) {
			g_assert_cmpuint(host->notes->len, ==, 0);
		} else {
			g_autoptr(GBytes) note = host_take_note(host);
			const guint8 *n = g_bytes_get_data(note, NULL);
			assert_result(note, BDFU_OP_CALC_CRC, BDFU_RES_SUCCESS, 0);
			g_assert_cmpuint(get_u32(n + 3), ==, 20 * (i + 1));
			g_assert_cmphex(get_u32(n + 7), ==, crc32(0, p, 20 * (i + 1)));
		}
	}
	host_set_prn(host, 0);
	host_write(host, p + 80, dat_len - 80);
	g_assert_cmpuint(host->notes->len, ==, 0);
	assert_result_free(host_execute(host), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);

	/* data: the count restarts at Create; a failing write carries its error */
	host_set_prn(host, 3);
	host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
	host_advance(host, MS_TO_US(100));
	p = g_bytes_get_data(bin, NULL);
	host_write(host, p, 40);
	g_assert_cmpuint(host->notes->len, ==, 0);
	host_write(host, p + 40, 20);
	{
		g_autoptr(GBytes) note = host_take_note(host);
		assert_result(note, BDFU_OP_CALC_CRC, BDFU_RES_SUCCESS, 0);
		g_assert_cmpuint(get_u32((const guint8 *)g_bytes_get_data(note, NULL) + 3), ==, 60);
	}
	/* after an invalid type every write fails, and the PRN says so */
	host_set_prn(host, 1);
	{
		const guint8 select3[] = {BDFU_OP_SELECT, 3};
		host_expect(host, select3, sizeof(select3), BDFU_RES_INVALID_OBJECT, 0);
		g_assert_true(bdfu_target_write_packet(host->target, p + 60, 20));
		assert_result_free(
		    host_take_note(host), BDFU_OP_CALC_CRC, BDFU_RES_INVALID_OBJECT, 0);
	}
}

/* Packet writes the flash cannot keep up with are lost without a word (§9.1, §9.4) */
static void
test_target_silent_drops(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 10000, 7);
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;
	const guint8 *p = g_bytes_get_data(bin, NULL);
	guint accepted = 0;
	guint32 offset, crc;

	config_default(&config, key);
	host = host_new(&config, key);
	bdfu_target_config_clear(&config);
	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);
	host_connect(host, 247);
	assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);

	/* straight after Create the erase holds the flash queue: 1 erase + 15 writes fit */
	host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
	for (guint i = 0; i < 16; i++) {
		if (bdfu_target_write_packet(host->target, p + 244 * accepted, 244))
			accepted++;
	}
	g_assert_cmpuint(accepted, ==, 15);
	g_assert_cmpuint(bdfu_target_get_dropped_packets(host->target), ==, 1);
	g_assert_cmpuint(host->notes->len, ==, 0);
	host_crc(host, &offset, &crc);
	g_assert_cmpuint(offset, ==, 244 * 15);
	/* a length that is not a multiple of 4 is dropped as well */
	host_advance(host, MS_TO_US(200));
	g_assert_false(bdfu_target_write_packet(host->target, p + offset, 6));
	host_crc(host, &offset, &crc);
	g_assert_cmpuint(offset, ==, 244 * 15);
	g_assert_cmphex(crc, ==, crc32(0, p, offset));
	/* the central resumes at the reported offset and the object completes */
	host_write(host, p + offset, 4096 - offset);
	host_crc(host, &offset, &crc);
	g_assert_cmpuint(offset, ==, 4096);
	assert_result_free(host_execute(host), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);

	/* slow flash: the Execute answer waits for the queue */
	{
		g_autoptr(Host) slow = NULL;
		config_default(&config, key);
		config.flash_slowdown = 20;
		slow = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(slow, 247);
		assert_result_free(host_send_init(slow, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		host_create(slow, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
		host_advance(slow, S_TO_US(2));
		for (guint i = 0; i < 8; i++)
			g_assert_true(bdfu_target_write_packet(slow->target, p + 244 * i, 244));
		host_advance(slow, S_TO_US(1));
		for (guint i = 8; i < 16; i++)
			g_assert_true(bdfu_target_write_packet(slow->target, p + 244 * i, 244));
		g_assert_true(bdfu_target_write_packet(slow->target, p + 244 * 16, 192));
		{
			const guint8 execute[] = {BDFU_OP_EXECUTE};
			g_assert_cmpuint(bdfu_target_write_cp(slow->target, execute, 1), ==, 0);
			g_assert_cmpuint(slow->notes->len, ==, 0);
			/* (8 x 61 + 48) words x 41 us x 20 = 439.5 ms */
			host_advance(slow, MS_TO_US(430));
			g_assert_cmpuint(slow->notes->len, ==, 0);
			host_advance(slow, MS_TO_US(10));
			assert_result_free(
			    host_take_note(slow), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		}
	}
}

/* 120 s without Create or Execute: reset without a disconnect (§8.2) */
static void
test_target_inactivity(void)
{
	g_autoptr(GBytes) app = make_app(0x27000, 5000, 8);
	BdfuTargetConfig config;

	/* button held with a valid app: the app boots after the timeout */
	{
		g_autoptr(Host) host = NULL;
		config_default(&config, NULL);
		config.app_valid = TRUE;
		config.app_image = g_bytes_ref(app);
		host = host_new(&config, NULL);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		host_create(host, BDFU_OBJ_COMMAND, 100, BDFU_RES_SUCCESS);
		host_advance(host, S_TO_US(100));
		/* Create-command restarts the timer */
		host_create(host, BDFU_OBJ_COMMAND, 100, BDFU_RES_SUCCESS);
		host_advance(host, S_TO_US(119));
		g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
		host_advance(host, S_TO_US(1));
		g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_RESETTING);
		g_assert_false(bdfu_target_is_connected(host->target));
		/* the central only notices through the supervision timeout */
		g_assert_cmpuint(host->disconnects->len, ==, 0);
		host_settle(host, S_TO_US(7));
		g_assert_cmpuint(host->disconnects->len, ==, 1);
		g_assert_cmphex(g_array_index(host->disconnects, guint8, 0), ==, 0x08);
		g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_APP);
	}
	/* no valid app: back in DFU mode every two minutes */
	{
		g_autoptr(Host) host = NULL;
		config_default(&config, NULL);
		host = host_new(&config, NULL);
		bdfu_target_config_clear(&config);
		host_settle(host, S_TO_US(121));
		g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
		g_assert_cmpuint(host->modes->len, ==, 2);
		g_assert_nonnull(
		    strstr(bdfu_target_get_boot_reason(host->target), "no valid application"));
	}
	/* SDK 13 has no inactivity timer */
	{
		g_autoptr(Host) host = NULL;
		config_default(&config, NULL);
		config.sdk_major = 13;
		config.app_valid = TRUE;
		host = host_new(&config, NULL);
		bdfu_target_config_clear(&config);
		host_settle(host, S_TO_US(600));
		g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
		g_assert_cmpuint(bdfu_target_next_event_us(host->target), ==, G_MAXUINT64);
	}
}

/* what Select-data says after a disconnect, per SDK (§3.5) */
static void
test_target_progress_on_disconnect(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 10000, 9);
	g_autoptr(GBytes) dat = NULL;
	BdfuInitPacket init;
	const guint8 *p = g_bytes_get_data(bin, NULL);
	const struct {
		guint sdk;
		gboolean save;
		guint32 expect;
	} cases[] = {
	    {15, FALSE, 4096 + 244 * 4}, /* RAM survives: mid-object resume */
	    {17, FALSE, 0},		 /* settings reloaded: data restarts */
	    {17, TRUE, 4096},		 /* last executed object */
	};

	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(Host) host = NULL;
		BdfuTargetConfig config;
		guint32 offset, crc;

		config_default(&config, key);
		config.sdk_major = cases[i].sdk;
		config.save_progress_in_flash = cases[i].save;
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
		host_advance(host, MS_TO_US(100));
		host_write(host, p, 4096);
		assert_result_free(host_execute(host), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
		host_advance(host, MS_TO_US(100));
		host_write(host, p + 4096, 244 * 4);
		bdfu_target_disconnect(host->target);
		g_assert_cmpuint(host->disconnects->len, ==, 0);
		host_advance(host, S_TO_US(1));
		host_connect(host, 247);
		/* the init packet is always kept: skip it and Execute again */
		host_select(host, BDFU_OBJ_COMMAND, NULL, &offset, &crc);
		g_assert_cmpuint(offset, ==, g_bytes_get_size(dat));
		assert_result_free(host_execute(host), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		host_select(host, BDFU_OBJ_DATA, NULL, &offset, &crc);
		g_test_message("SDK %u save %d: offset %u", cases[i].sdk, cases[i].save, offset);
		g_assert_cmpuint(offset, ==, cases[i].expect);
		g_assert_cmphex(crc, ==, offset == 0 ? 0 : crc32(0, p, offset));
	}
}

/* across a reset only the settings page survives: the init packet, and data progress only
 * where it is saved (§3.5) */
static void
test_target_progress_on_reset(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 10000, 19);
	g_autoptr(GBytes) dat = NULL;
	BdfuInitPacket init;
	const guint8 *p = g_bytes_get_data(bin, NULL);
	const struct {
		guint sdk;
		gboolean save;
		guint32 expect;
	} cases[] = {
	    {17, FALSE, 0},
	    {17, TRUE, 4096},
	    {15, FALSE, 4096},
	};

	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(Host) host = NULL;
		BdfuTargetConfig config;
		guint32 offset, crc;

		config_default(&config, key);
		config.sdk_major = cases[i].sdk;
		config.save_progress_in_flash = cases[i].save;
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
		host_advance(host, MS_TO_US(100));
		host_write(host, p, 4096);
		assert_result_free(host_execute(host), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		host_create(host, BDFU_OBJ_DATA, 4096, BDFU_RES_SUCCESS);
		host_advance(host, MS_TO_US(100));
		host_write(host, p + 4096, 244 * 4);
		/* no valid app: the inactivity reset brings DFU mode back */
		host_settle(host, S_TO_US(130));
		g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
		host_connect(host, 247);
		host_select(host, BDFU_OBJ_COMMAND, NULL, &offset, &crc);
		g_assert_cmpuint(offset, ==, g_bytes_get_size(dat));
		assert_result_free(host_execute(host), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		host_select(host, BDFU_OBJ_DATA, NULL, &offset, &crc);
		g_assert_cmpuint(offset, ==, cases[i].expect);
		g_assert_cmphex(crc, ==, offset == 0 ? 0 : crc32(0, p, offset));
		/* and the update completes from there */
		g_assert_cmpint(update_and_boot_from(host, bin, offset), ==, BDFU_TARGET_MODE_APP);
	}
}

/* the final Execute checks the SHA-256; the old app survives a bad image */
static void
test_target_hash_mismatch(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) old_app = make_app(0x27000, 5000, 10);
	g_autoptr(GBytes) bin = make_app(0x27000, 6000, 11);
	g_autoptr(GBytes) other = make_app(0x27000, 6000, 12);
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;

	config_default(&config, key);
	config.app_valid = TRUE;
	config.app_image = g_bytes_ref(old_app);
	config.app_version = 2;
	host = host_new(&config, key);
	bdfu_target_config_clear(&config);
	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);
	host_connect(host, 247);
	assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	assert_result_free(host_send_image(host, other),
			   BDFU_OP_EXECUTE,
			   BDFU_RES_EXT_ERROR,
			   BDFU_EXT_VERIFICATION_FAILED);
	/* complete anyway: 0x13, reset, the old application boots */
	host_settle(host, S_TO_US(3));
	g_assert_cmpuint(host->disconnects->len, ==, 1);
	g_assert_cmphex(g_array_index(host->disconnects, guint8, 0), ==, 0x13);
	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_APP);
	g_assert_cmpuint(bdfu_target_get_app_version(host->target), ==, 2);
}

/* an image too big for dual bank erases the current app at the init Execute (§8.1 rule 10) */
static void
test_target_single_bank(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) old_app = make_app(0x27000, 0x30000, 13);
	g_autoptr(GBytes) bin = make_app(0x27000, 0x30000, 14);
	g_autoptr(GBytes) dat = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;

	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);
	/* 0x27000..0x75000: room for one of them, not two */
	{
		g_autoptr(Host) host = NULL;
		config_default(&config, key);
		config.flash_size = 0x80000;
		config.bootloader_start = 0x78000;
		config.app_valid = TRUE;
		config.app_image = g_bytes_ref(old_app);
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
		g_assert_false(bdfu_target_get_app_valid(host->target));
		/* interrupted now: nothing to boot, DfuTarg forever */
		bdfu_target_disconnect(host->target);
		host_settle(host, S_TO_US(125));
		g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
	}
	/* does not fit even alone: 0x04, and the app is gone all the same */
	{
		g_autoptr(Host) host = NULL;
		config_default(&config, key);
		config.flash_size = 0x80000;
		config.bootloader_start = 0x58000;
		config.app_valid = TRUE;
		config.app_image = g_bytes_ref(old_app);
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		assert_result_free(
		    host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_INSUFFICIENT_RESOURCES, 0);
		g_assert_false(bdfu_target_get_app_valid(host->target));
	}
}

/* runs a whole update of bin/dat into a device in DFU mode; the mode after boot */
static BdfuTargetMode
update_and_boot(Host *host, GBytes *dat, GBytes *bin)
{
	assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	assert_result_free(host_send_image(host, bin), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	host_settle(host, S_TO_US(10));
	return bdfu_target_get_mode(host->target);
}

/* the founding report: a merged MBR+SoftDevice+app hex packaged as the application */
static void
test_target_boot_merged(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_merged();
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;
	const gchar *reason;

	config_default(&config, key);
	config.sdk_major = 14;
	config.sdk_minor = 0;
	config.max_att_mtu = 23;
	config.sd_fwid = 0x9D;
	config.flash_size = 0x80000;
	config.bootloader_start = 0x78000;
	host = host_new(&config, key);
	bdfu_target_config_clear(&config);
	init_for_app(&init, bin, 0x9D, 1);
	dat = encode(&init, key);
	host_connect(host, 247);
	/* 100 %, every answer a success, then silence */
	g_assert_cmpint(update_and_boot(host, dat, bin), ==, BDFU_TARGET_MODE_SILENT);
	g_assert_true(bdfu_target_get_app_valid(host->target));
	g_assert_false(bdfu_target_connect(host->target));
	g_assert_null(bdfu_target_get_adv_name(host->target));
	reason = bdfu_target_get_boot_reason(host->target);
	g_test_message("%s", reason);
	g_assert_nonnull(strstr(reason, "SoftDevice"));
	g_assert_nonnull(strstr(reason, "0x00021D11"));
	g_assert_nonnull(strstr(reason, "0x23000"));
}

static void
test_target_boot_bootloader_as_app(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0xF8000, 20000, 15);
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;
	const gchar *reason;

	config_default(&config, key);
	host = host_new(&config, key);
	bdfu_target_config_clear(&config);
	init_for_app(&init, bin, 0x100, 1);
	dat = encode(&init, key);
	host_connect(host, 247);
	g_assert_cmpint(update_and_boot(host, dat, bin), ==, BDFU_TARGET_MODE_SILENT);
	reason = bdfu_target_get_boot_reason(host->target);
	g_test_message("%s", reason);
	g_assert_nonnull(strstr(reason, "bootloader at 0xF8000"));
	g_assert_nonnull(strstr(reason, "0x000F8201"));
}

/* SD+BL: back in DFU mode, 10 s for the application, then the old app (§4.2) */
static void
test_target_softdevice_bootloader(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) sd = make_softdevice(0x100, 0x27000, 140, 7002000, 0x9000);
	g_autoptr(GBytes) old_app = make_app(0x27000, 5000, 16);
	g_autoptr(GBytes) new_app = make_app(0x27000, 6000, 17);
	g_autoptr(GBytes) bin = NULL;
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(GBytes) app_dat = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;
	GByteArray *sd_bl = g_byte_array_new();
	guint8 bl[0x3000];

	memset(bl, 0x33, sizeof(bl));
	g_byte_array_append(sd_bl, g_bytes_get_data(sd, NULL), g_bytes_get_size(sd));
	g_byte_array_append(sd_bl, bl, sizeof(bl));
	bin = g_byte_array_free_to_bytes(sd_bl);
	init_for_app(&init, bin, 0x100, 5);
	init.type = BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER;
	init.app_size = 0;
	init.sd_size = (guint32)g_bytes_get_size(sd);
	init.bl_size = sizeof(bl);
	dat = encode(&init, key);
	init_for_app(&init, new_app, 0x100, 1);
	app_dat = encode(&init, key);

	for (guint round = 0; round < 2; round++) {
		g_autoptr(Host) host = NULL;
		config_default(&config, key);
		config.app_valid = TRUE;
		config.app_image = g_bytes_ref(old_app);
		config.bootloader_version = 4;
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		g_assert_cmpint(update_and_boot(host, dat, bin), ==, BDFU_TARGET_MODE_DFU);
		g_assert_nonnull(strstr(bdfu_target_get_boot_reason(host->target), "10 s"));
		g_assert_cmpuint(bdfu_target_get_address_increment(host->target), ==, 1);
		if (round == 0) {
			/* too slow: the old application comes back */
			host_settle(host, S_TO_US(11));
			g_assert_cmpint(
			    bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_APP);
			continue;
		}
		host_connect(host, 247);
		/* the same bootloader version again is refused */
		assert_result_free(host_send_init(host, dat),
				   BDFU_OP_EXECUTE,
				   BDFU_RES_EXT_ERROR,
				   BDFU_EXT_FW_VERSION_FAILURE);
		g_assert_cmpint(update_and_boot(host, app_dat, new_app), ==, BDFU_TARGET_MODE_APP);
	}
}

/* a SoftDevice-only update with a new major version needs a bootloader (§8.1) */
static void
test_target_softdevice_major(void)
{
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) sd = make_softdevice(0xA9, 0x26000, 140, 6000000, 0x5000);
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	BdfuInitPacket init;

	init_for_app(&init, sd, 0x100, 0);
	init.type = BDFU_FW_TYPE_SOFTDEVICE;
	init.app_size = 0;
	init.sd_size = (guint32)g_bytes_get_size(sd);
	dat = encode(&init, key);
	config_default(&config, key);
	host = host_new(&config, key);
	bdfu_target_config_clear(&config);
	host_connect(host, 247);
	assert_result_free(host_send_init(host, dat), BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
	assert_result_free(host_send_image(host, sd), BDFU_OP_EXECUTE, BDFU_RES_INVALID_OBJECT, 0);
	host_settle(host, S_TO_US(3));
	g_assert_cmphex(bdfu_target_get_sd_fwid(host->target), ==, 0x100);
}

static void
host_enable_buttonless(Host *host)
{
	const guint8 enter[] = {BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER};
	g_assert_true(bdfu_target_connect(host->target));
	/* the bootloader's characteristics are not in the application */
	g_assert_cmphex(bdfu_target_write_cp(host->target, enter, 1), ==, 0x01);
	g_assert_cmphex(bdfu_target_write_buttonless(host->target, enter, 1), ==, 0xFD);
	g_assert_cmpuint(host->indications->len, ==, 0);
	bdfu_target_set_buttonless_indicate(host->target, TRUE);
}

static void
assert_indication(Host *host, guint8 op, guint8 result)
{
	g_autoptr(GBytes) ind = NULL;
	const guint8 *p;
	gsize len = 0;
	g_assert_cmpuint(host->indications->len, ==, 1);
	ind = g_ptr_array_steal_index(host->indications, 0);
	p = g_bytes_get_data(ind, &len);
	g_assert_cmpuint(len, ==, 3);
	g_assert_cmphex(p[0], ==, 0x20);
	g_assert_cmphex(p[1], ==, op);
	g_assert_cmphex(p[2], ==, result);
}

static void
test_target_buttonless_unbonded(void)
{
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	const guint8 enter[] = {BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER};
	const guint8 empty_name[] = {BDFU_BUTTONLESS_OP_SET_NAME, 0};
	const guint8 long_name[23] = {BDFU_BUTTONLESS_OP_SET_NAME, 21, 'x'};
	const guint8 name[] = {BDFU_BUTTONLESS_OP_SET_NAME, 5, 'D', 'f', 'u', '4', '2'};
	const guint8 bogus[] = {0x07};

	config_default(&config, NULL);
	config.start_in_dfu = FALSE;
	config.app_valid = TRUE;
	host = host_new(&config, NULL);
	bdfu_target_config_clear(&config);
	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_APP);
	g_assert_cmpuint(bdfu_target_get_address_increment(host->target), ==, 0);
	host_enable_buttonless(host);

	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, bogus, 1), ==, 0);
	assert_indication(host, 0x07, BDFU_BUTTONLESS_RES_OP_CODE_NOT_SUPPORTED);
	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, empty_name, 2), ==, 0);
	assert_indication(host, 0x02, BDFU_BUTTONLESS_RES_INVALID_ADV_NAME);
	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, long_name, 23), ==, 0);
	assert_indication(host, 0x02, BDFU_BUTTONLESS_RES_INVALID_ADV_NAME);
	/* the name reaches the bootloader settings first, then the answer */
	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, name, sizeof(name)), ==, 0);
	g_assert_cmpuint(host->indications->len, ==, 0);
	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, enter, 1), ==, 0);
	assert_indication(host, 0x01, BDFU_BUTTONLESS_RES_BUSY);
	host_settle(host, MS_TO_US(500));
	assert_indication(host, 0x02, BDFU_BUTTONLESS_RES_SUCCESS);

	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, enter, 1), ==, 0);
	assert_indication(host, 0x01, BDFU_BUTTONLESS_RES_SUCCESS);
	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_APP);
	bdfu_target_confirm_indication(host->target);
	host_advance(host, 1);
	g_assert_cmpuint(host->disconnects->len, ==, 1);
	g_assert_cmphex(g_array_index(host->disconnects, guint8, 0), ==, 0x13);
	host_settle(host, S_TO_US(1));
	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
	g_assert_cmpuint(bdfu_target_get_address_increment(host->target), ==, 1);
	g_assert_cmpstr(bdfu_target_get_adv_name(host->target), ==, "Dfu42");
	g_assert_nonnull(strstr(bdfu_target_get_boot_reason(host->target), "buttonless"));
	/* nothing sent: the app boots after the inactivity timeout and the name is gone */
	host_settle(host, S_TO_US(121));
	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_APP);
	host_enable_buttonless(host);
	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, enter, 1), ==, 0);
	assert_indication(host, 0x01, BDFU_BUTTONLESS_RES_SUCCESS);
	bdfu_target_confirm_indication(host->target);
	host_settle(host, S_TO_US(1));
	g_assert_cmpstr(bdfu_target_get_adv_name(host->target), ==, "DfuTarg");
}

static void
test_target_buttonless_bonded(void)
{
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	const guint8 enter[] = {BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER};
	const guint8 name[] = {BDFU_BUTTONLESS_OP_SET_NAME, 3, 'a', 'b', 'c'};

	config_default(&config, NULL);
	config.start_in_dfu = FALSE;
	config.app_valid = TRUE;
	config.bonded = TRUE;
	host = host_new(&config, NULL);
	bdfu_target_config_clear(&config);
	g_assert_true(bdfu_target_is_bonded(host->target));
	host_enable_buttonless(host);
	bdfu_target_set_peer_bonded(host->target, FALSE);
	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, enter, 1), ==, 0);
	assert_indication(host, 0x01, BDFU_BUTTONLESS_RES_NOT_BONDED);
	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, name, sizeof(name)), ==, 0);
	assert_indication(host, 0x02, BDFU_BUTTONLESS_RES_OP_CODE_NOT_SUPPORTED);

	bdfu_target_set_peer_bonded(host->target, TRUE);
	g_assert_cmpuint(bdfu_target_write_buttonless(host->target, enter, 1), ==, 0);
	/* the keys are handed to the bootloader before the answer */
	g_assert_cmpuint(host->indications->len, ==, 0);
	host_settle(host, MS_TO_US(300));
	assert_indication(host, 0x01, BDFU_BUTTONLESS_RES_SUCCESS);
	bdfu_target_confirm_indication(host->target);
	host_settle(host, S_TO_US(1));
	g_assert_cmpuint(host->disconnects->len, ==, 1);
	g_assert_cmpint(bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
	/* the bonded bootloader keeps the address and only lets the bonded peer in */
	g_assert_cmpuint(bdfu_target_get_address_increment(host->target), ==, 0);
	bdfu_target_set_peer_bonded(host->target, FALSE);
	g_assert_false(bdfu_target_connect(host->target));
	bdfu_target_set_peer_bonded(host->target, TRUE);
	g_assert_true(bdfu_target_connect(host->target));
}

static void
test_target_never_answer(void)
{
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	const guint8 select[] = {BDFU_OP_SELECT, BDFU_OBJ_COMMAND};

	config_default(&config, NULL);
	config.never_answer = TRUE;
	host = host_new(&config, NULL);
	bdfu_target_config_clear(&config);
	host_connect(host, 247);
	g_assert_cmpuint(bdfu_target_write_cp(host->target, select, sizeof(select)), ==, 0);
	host_settle(host, S_TO_US(30));
	g_assert_cmpuint(host->notes->len, ==, 0);
}

/* Abort: no answer; 15.x resets without a word, 16+ disconnect first (§2.2) */
static void
test_target_abort(void)
{
	const guint8 abort_req[] = {BDFU_OP_ABORT};
	const guint sdks[] = {15, 17};

	for (guint i = 0; i < G_N_ELEMENTS(sdks); i++) {
		g_autoptr(Host) host = NULL;
		BdfuTargetConfig config;

		config_default(&config, NULL);
		config.sdk_major = sdks[i];
		host = host_new(&config, NULL);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		g_assert_cmpuint(bdfu_target_write_cp(host->target, abort_req, 1), ==, 0);
		g_assert_cmpuint(host->notes->len, ==, 0);
		host_advance(host, MS_TO_US(250));
		g_assert_false(bdfu_target_is_connected(host->target));
		if (sdks[i] == 15) {
			g_assert_cmpuint(host->disconnects->len, ==, 0);
			/* reconnecting replaces the dead link: no late supervision timeout */
			host_settle(host, S_TO_US(1));
			host_connect(host, 247);
			host_settle(host, S_TO_US(10));
			g_assert_cmpuint(host->disconnects->len, ==, 0);
			g_assert_true(bdfu_target_is_connected(host->target));
		} else {
			g_assert_cmpuint(host->disconnects->len, ==, 1);
			g_assert_cmphex(g_array_index(host->disconnects, guint8, 0), ==, 0x13);
		}
		g_assert_cmpuint(host->notes->len, ==, 0);
	}
}

/* SDK 15.0-15.2 answer the extra opcodes with a bare header; SDK 15+ read stale bytes */
static void
test_target_cp_sdk15(void)
{
	g_autoptr(Host) host = NULL;
	BdfuTargetConfig config;
	const guint8 version[] = {BDFU_OP_PROTOCOL_VERSION};
	const guint8 ping[] = {BDFU_OP_PING, 0x55};
	const guint8 create[] = {BDFU_OP_CREATE, BDFU_OBJ_COMMAND, 0x00, 0x10, 0, 0};
	const guint8 short_create[] = {BDFU_OP_CREATE, BDFU_OBJ_COMMAND};
	guint32 max, offset, crc;

	config_default(&config, NULL);
	config.sdk_major = 15;
	config.sdk_minor = 2;
	host = host_new(&config, NULL);
	bdfu_target_config_clear(&config);
	host_connect(host, 247);
	{
		g_autoptr(GBytes) note = host_cp(host, version, 1);
		assert_result(note, BDFU_OP_PROTOCOL_VERSION, BDFU_RES_SUCCESS, 0);
		g_assert_cmpuint(g_bytes_get_size(note), ==, 3);
	}
	host_expect(host, ping, sizeof(ping), BDFU_RES_SUCCESS, 0);
	host_select(host, BDFU_OBJ_COMMAND, &max, &offset, &crc);
	g_assert_cmpuint(max, ==, 256);
	/* 0x1000 is too big; the short write after it reuses those size bytes */
	host_expect(host, create, sizeof(create), BDFU_RES_INSUFFICIENT_RESOURCES, 0);
	host_expect(host, short_create, sizeof(short_create), BDFU_RES_INSUFFICIENT_RESOURCES, 0);
}

/* junk from a hostile or broken central never crashes the model */
static void
test_target_random_requests(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(20261201);
	g_autoptr(BdfuKey) key = new_key();
	g_autoptr(GBytes) bin = make_app(0x27000, 9000, 18);
	g_autoptr(GBytes) dat = NULL;
	BdfuInitPacket init;

	init_for_app(&init, bin, 0x100, 3);
	dat = encode(&init, key);
	for (guint round = 0; round < 6; round++) {
		g_autoptr(Host) host = NULL;
		BdfuTargetConfig config;

		config_default(&config, key);
		config.sdk_major = 12 + round;
		config.app_valid = round % 2 == 0;
		config.bonded = round == 3;
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		for (guint i = 0; i < 4000; i++) {
			guint8 buf[32];
			gsize len = g_rand_int_range(rand, 0, sizeof(buf));
			for (gsize j = 0; j < len; j++)
				buf[j] = (guint8)g_rand_int(rand);
			if (len > 0 && g_rand_boolean(rand))
				buf[0] = (guint8)g_rand_int_range(rand, 0, 0x0D);
			if (len > 1 && g_rand_boolean(rand))
				buf[1] = (guint8)g_rand_int_range(rand, 0, 4);
			switch (g_rand_int_range(rand, 0, 10)) {
			case 0:
				bdfu_target_connect(host->target);
				bdfu_target_exchange_mtu(host->target,
							 g_rand_int_range(rand, 0, 600));
				bdfu_target_set_cp_notify(host->target, TRUE);
				bdfu_target_set_buttonless_indicate(host->target, TRUE);
				break;
			case 1:
				if (g_rand_int_range(rand, 0, 20) == 0)
					bdfu_target_disconnect(host->target);
				break;
			case 2:
				host_advance(host, g_rand_int_range(rand, 0, 3000000));
				break;
			case 3:
				bdfu_target_write_buttonless(host->target, buf, len);
				bdfu_target_confirm_indication(host->target);
				break;
			case 4:
				/* a real init packet now and then, so data objects get exercised */
				bdfu_target_write_packet(host->target,
							 g_bytes_get_data(dat, NULL),
							 MIN(len, g_bytes_get_size(dat)));
				break;
			case 5:
			case 6:
				bdfu_target_write_packet(host->target, buf, len & ~(gsize)3);
				break;
			default:
				bdfu_target_write_cp(host->target, buf, len);
				break;
			}
			g_ptr_array_set_size(host->notes, 0);
			g_ptr_array_set_size(host->indications, 0);
		}
		host_settle(host, S_TO_US(300));
	}
}

static const gchar *
fixtures_dir(void)
{
	const gchar *dir = g_getenv("BDFU_FIXTURES");
	if (dir == NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR))
		return NULL;
	return dir;
}

/* the real packages of the report, into an SDK 14 nRF52832 with S132 5.0.0 and its key */
static void
test_target_seed_fixtures(void)
{
	const gchar *names[] = {"seed-merged-hex.zip", "seed-app-only.nrfutil6.zip"};
	const BdfuTargetMode modes[] = {BDFU_TARGET_MODE_SILENT, BDFU_TARGET_MODE_APP};
	g_autofree gchar *pem = NULL;
	g_autofree gchar *pem_path = NULL;
	g_autoptr(BdfuKey) key = NULL;
	g_autoptr(GError) error = NULL;
	gsize pem_len = 0;

	if (fixtures_dir() == NULL) {
		g_test_skip("no fixtures (set BDFU_FIXTURES)");
		return;
	}
	pem_path = g_build_filename(fixtures_dir(), "seed", "seed-key.pub.pem", NULL);
	g_assert_true(g_file_get_contents(pem_path, &pem, &pem_len, NULL));
	key = bdfu_key_new_from_pem(pem, pem_len, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *path = g_build_filename(fixtures_dir(), "seed", names[i], NULL);
		g_autoptr(BdfuPackage) package = bdfu_package_new_from_file(path, NULL, &error);
		g_autoptr(Host) host = NULL;
		BdfuPackagePart *part;
		BdfuTargetConfig config;

		g_assert_no_error(error);
		part = g_ptr_array_index(package->parts, 0);
		config_default(&config, key);
		config.sdk_major = 14;
		config.sdk_minor = 0;
		config.max_att_mtu = 23;
		config.sd_fwid = 0x9D;
		config.flash_size = 0x80000;
		config.bootloader_start = 0x78000;
		host = host_new(&config, key);
		bdfu_target_config_clear(&config);
		host_connect(host, 247);
		g_assert_cmpint(update_and_boot(host, part->dat, part->bin), ==, modes[i]);
		g_test_message("%s: %s", names[i], bdfu_target_get_boot_reason(host->target));
	}
}

/* a device each secure fixture was made for (as the engine-vs-target tests pick it) */
static gboolean
config_for_package(BdfuTargetConfig *config,
		   BdfuPackage *package,
		   const gchar *soc,
		   const gchar *key_path)
{
	BdfuPackagePart *first = g_ptr_array_index(package->parts, 0);
	const BdfuInitPacket *init = first->init;

	bdfu_target_config_init(config);
	config->hw_version = init->has_hw_version ? init->hw_version : 52;
	config->sd_fwid = 0;
	for (guint i = 0; i < init->sd_req_len; i++) {
		if (bdfu_softdevice_lookup(init->sd_req[i]) != NULL) {
			config->sd_fwid = init->sd_req[i];
			break;
		}
	}
	if (config->sd_fwid == 0 && init->sd_req_len > 0)
		config->sd_fwid = init->sd_req[0];
	config->debug_bootloader = init->has_is_debug && init->is_debug;
	config->start_in_dfu = TRUE;
	if (g_strcmp0(soc, "nRF52840") == 0) {
		config->flash_size = 0x100000;
	} else if (g_str_has_prefix(soc, "nRF51")) {
		/* SDK 12 nRF51 bootloaders: 1 KiB pages; the debug one is larger */
		config->flash_size = 0x40000;
		config->sdk_major = 12;
		config->bootloader_start = config->debug_bootloader ? 0x38000 : 0x3AC00;
	} else {
		config->flash_size = 0x80000;
	}
	/* debug bootloaders (up to 41 KiB) start lower than the 24 KiB release ones */
	if (config->debug_bootloader && config->sdk_major > 12)
		config->bootloader_start = config->flash_size - 0x10000;
	if (key_path != NULL) {
		g_autofree gchar *pem = NULL;
		gsize len = 0;
		g_autoptr(BdfuKey) key = NULL;
		if (!g_file_get_contents(key_path, &pem, &len, NULL))
			return FALSE;
		key = bdfu_key_new_from_pem(pem, len, NULL);
		if (key == NULL)
			return FALSE;
		config->has_public_key = bdfu_key_get_raw_le(key, config->public_key_le);
	}
	return TRUE;
}

static gchar *
find_key(const gchar *key_id)
{
	g_autofree gchar *dir = g_build_filename(fixtures_dir(), "keys", "public", NULL);
	g_autoptr(GDir) gdir = g_dir_open(dir, 0, NULL);
	g_autofree gchar *suffix = g_strdup_printf("_%s.pub.pem", key_id);
	const gchar *name;
	while (gdir != NULL && (name = g_dir_read_name(gdir)) != NULL) {
		if (g_str_has_suffix(name, suffix))
			return g_build_filename(dir, name, NULL);
	}
	return NULL;
}

/* every secure and unsigned fixture is accepted part by part by the device it was made for */
static void
test_target_all_fixtures(void)
{
	g_autofree gchar *json = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(cJSON) root = NULL;
	const cJSON *entry;
	guint updated = 0;

	if (fixtures_dir() == NULL) {
		g_test_skip("no fixtures (set BDFU_FIXTURES)");
		return;
	}
	path = g_build_filename(fixtures_dir(), "fixtures.json", NULL);
	g_assert_true(g_file_get_contents(path, &json, NULL, NULL));
	root = cJSON_Parse(json);
	g_assert_nonnull(root);
	cJSON_ArrayForEach(entry, root)
	{
		const gchar *category = cJSON_GetObjectItem(entry, "category")->valuestring;
		const gchar *folder = cJSON_GetObjectItem(entry, "folder")->valuestring;
		const gchar *file = cJSON_GetObjectItem(entry, "file")->valuestring;
		const gchar *soc = cJSON_GetObjectItem(entry, "soc")->valuestring;
		const cJSON *parts = cJSON_GetObjectItem(entry, "parts");
		const gchar *key_id = NULL;
		g_autofree gchar *zip = g_build_filename(fixtures_dir(), folder, file, NULL);
		g_autofree gchar *key_path = NULL;
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuPackage) package = NULL;
		g_autoptr(Host) host = NULL;
		BdfuTargetConfig config;

		if (g_strcmp0(category, "secure") != 0 && g_strcmp0(category, "unsigned") != 0)
			continue;
		key_id = cJSON_GetStringValue(
		    cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0), "signature"));
		g_assert_nonnull(key_id);
		if (g_strcmp0(key_id, "unsigned") != 0) {
			key_path = find_key(key_id);
			g_assert_nonnull(key_path);
		}
		package = bdfu_package_new_from_file(zip, NULL, &error);
		g_assert_no_error(error);
		g_assert_true(config_for_package(&config, package, soc, key_path));
		host = host_new(&config, NULL);
		bdfu_target_config_clear(&config);
		for (guint i = 0; i < package->parts->len; i++) {
			BdfuPackagePart *part = g_ptr_array_index(package->parts, i);
			g_autoptr(GBytes) note = NULL;
			g_assert_cmpint(
			    bdfu_target_get_mode(host->target), ==, BDFU_TARGET_MODE_DFU);
			host_connect(host, 247);
			note = host_send_init(host, part->dat);
			if (((const guint8 *)g_bytes_get_data(note, NULL))[2] != 1)
				g_error("%s part %u: init refused", folder, i);
			g_clear_pointer(&note, g_bytes_unref);
			note = host_send_image(host, part->bin);
			if (((const guint8 *)g_bytes_get_data(note, NULL))[2] != 1)
				g_error("%s part %u: image refused", folder, i);
			host_settle(host, S_TO_US(8));
		}
		g_test_message("%s: %s", folder, bdfu_target_get_boot_reason(host->target));
		updated++;
	}
	g_assert_cmpuint(updated, >=, 30);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/target/dfu/app-update", test_target_app_update);
	g_test_add_func("/target/init/rules-in-order", test_target_init_rules);
	g_test_add_func("/target/init/parse-and-signature", test_target_init_parse_and_signature);
	g_test_add_func("/target/init/old-sdks", test_target_init_old_sdks);
	g_test_add_func("/target/init/single-bank-fallback", test_target_single_bank);
	g_test_add_func("/target/cp/results", test_target_cp_results);
	g_test_add_func("/target/cp/old-sdk", test_target_cp_old_sdk);
	g_test_add_func("/target/prn", test_target_prn);
	g_test_add_func("/target/flash/silent-drops", test_target_silent_drops);
	g_test_add_func("/target/inactivity", test_target_inactivity);
	g_test_add_func("/target/progress/disconnect", test_target_progress_on_disconnect);
	g_test_add_func("/target/progress/reset", test_target_progress_on_reset);
	g_test_add_func("/target/image/hash-mismatch", test_target_hash_mismatch);
	g_test_add_func("/target/image/softdevice-major", test_target_softdevice_major);
	g_test_add_func("/target/boot/merged-softdevice", test_target_boot_merged);
	g_test_add_func("/target/boot/bootloader-as-app", test_target_boot_bootloader_as_app);
	g_test_add_func("/target/boot/sd-bl-continuation", test_target_softdevice_bootloader);
	g_test_add_func("/target/buttonless/unbonded", test_target_buttonless_unbonded);
	g_test_add_func("/target/buttonless/bonded", test_target_buttonless_bonded);
	g_test_add_func("/target/fault/never-answer", test_target_never_answer);
	g_test_add_func("/target/cp/abort", test_target_abort);
	g_test_add_func("/target/cp/sdk15.2", test_target_cp_sdk15);
	g_test_add_func("/target/robust/random-requests", test_target_random_requests);
	g_test_add_func("/target/fixtures/seed", test_target_seed_fixtures);
	g_test_add_func("/target/fixtures/every-secure-package", test_target_all_fixtures);
	return g_test_run();
}
