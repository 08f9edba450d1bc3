/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image checks: the FWID table, the SoftDevice info struct, vector tables, every finding id on
 * synthetic images, and the real packages under $BDFU_FIXTURES (the founding user's merged hex
 * must be caught; every correct package must pass without an error). */
#include <cjson/cJSON.h>
#include <string.h>
#include <zip.h>

#include "core/bdfu-image.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

/* synthetic images -------------------------------------------------------------------------- */

static void
put_u32(guint8 *p, guint32 v)
{
	p[0] = (guint8)v;
	p[1] = (guint8)(v >> 8);
	p[2] = (guint8)(v >> 16);
	p[3] = (guint8)(v >> 24);
}

/* an application linked at `base`: SP at the end of nRF52832 RAM, handlers just after the
 * 0x200-byte vector table, code bytes that are not 0xFF */
static GByteArray *
make_app(guint32 base, gsize len)
{
	GByteArray *img = g_byte_array_sized_new((guint)len);
	g_byte_array_set_size(img, (guint)len);
	for (gsize i = 0; i < len; i++)
		img->data[i] = (guint8)(i * 7 + 1);
	put_u32(img->data, 0x20010000);
	for (gsize i = 1; i < 16 && i * 4 + 4 <= len; i++)
		put_u32(img->data + i * 4, base + 0x215 + (guint32)i * 2);
	return img;
}

/* a SoftDevice as in a .bin built from 0x1000 (at_0x3000: built from 0x0 with an MBR first);
 * `data_len` bytes of SoftDevice, then 0xFF up to `len` */
static GByteArray *
make_sd(guint16 fwid,
	guint32 sd_end,
	guint8 info_size,
	gboolean at_0x3000,
	gsize data_len,
	gsize len)
{
	GByteArray *img = g_byte_array_sized_new((guint)len);
	gsize base = at_0x3000 ? 0x1000 : 0;
	guint8 *info = NULL;

	g_byte_array_set_size(img, (guint)len);
	memset(img->data, 0xFF, len);
	for (gsize i = 0; i < data_len; i++)
		img->data[base + i] = (guint8)(i * 13 + 5);
	put_u32(img->data + base, 0x200012E8);
	put_u32(img->data + base + 4, sd_end - 0x12EF);
	if (at_0x3000) {
		/* the MBR */
		put_u32(img->data, 0x20000400);
		put_u32(img->data + 4, 0x000008E9);
	}
	info = img->data + base + 0x2000;
	memset(info, 0xFF, 0x30);
	info[0] = info_size;
	put_u32(info + 4, BDFU_SD_INFO_MAGIC);
	put_u32(info + 8, sd_end);
	info[0xC] = (guint8)fwid;
	info[0xD] = (guint8)(fwid >> 8);
	if (info_size >= 0x18) {
		put_u32(info + 0x10, 132);
		put_u32(info + 0x14, 5000000);
	}
	return img;
}

/* the founding user's .bin: S132 5.0.0 from 0x1000 (136360 bytes), 0xFF, blinky at 0x23000 */
static GByteArray *
make_merged(void)
{
	g_autoptr(GByteArray) app = make_app(0x23000, 2168);
	GByteArray *img = make_sd(0x9D, 0x23000, 0x2C, FALSE, 136360, 0x22000);
	g_byte_array_append(img, app->data, app->len);
	return img;
}

static void
init_for(BdfuInitPacket *init, BdfuFwType type, const guint32 *sd_req, guint n, GByteArray *img)
{
	memset(init, 0, sizeof(*init));
	init->has_op_code = TRUE;
	init->op_code = 1;
	init->has_init = TRUE;
	init->has_fw_version = TRUE;
	init->fw_version = 1;
	init->has_hw_version = TRUE;
	init->hw_version = 52;
	init->sd_req_len = n;
	init->sd_req_packed = TRUE;
	for (guint i = 0; i < n; i++)
		init->sd_req[i] = sd_req[i];
	init->has_type = TRUE;
	init->type = type;
	init->has_sd_size = TRUE;
	init->has_bl_size = TRUE;
	init->has_app_size = TRUE;
	if (type == BDFU_FW_TYPE_SOFTDEVICE || type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER)
		init->sd_size = img->len;
	else if (type == BDFU_FW_TYPE_BOOTLOADER)
		init->bl_size = img->len;
	else
		init->app_size = img->len;
	init->has_hash = TRUE;
	init->hash_type = BDFU_HASH_TYPE_SHA256;
	init->hash_len = 32;
	bdfu_init_packet_hash_image(img->data, img->len, init->hash);
	init->has_is_debug = TRUE;
}

static GPtrArray *
check(const BdfuInitPacket *init, GByteArray *img)
{
	GPtrArray *findings = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_finding_free);
	bdfu_image_check(
	    init, img != NULL ? img->data : NULL, img != NULL ? img->len : 0, findings);
	for (guint i = 0; g_test_verbose() && i < findings->len; i++) {
		BdfuFinding *f = g_ptr_array_index(findings, i);
		g_test_message("%s %s: %s | fix: %s",
			       bdfu_severity_to_string(f->severity),
			       f->id,
			       f->message,
			       f->fix);
	}
	return findings;
}

static GPtrArray *
check_app(guint32 sd_req, GByteArray *img)
{
	BdfuInitPacket init;
	init_for(&init, BDFU_FW_TYPE_APPLICATION, &sd_req, 1, img);
	return check(&init, img);
}

static BdfuFinding *
find(GPtrArray *findings, const gchar *id)
{
	for (guint i = 0; i < findings->len; i++) {
		BdfuFinding *f = g_ptr_array_index(findings, i);
		if (g_strcmp0(f->id, id) == 0)
			return f;
	}
	return NULL;
}

static guint
count_errors(GPtrArray *findings)
{
	guint n = 0;
	for (guint i = 0; i < findings->len; i++) {
		BdfuFinding *f = g_ptr_array_index(findings, i);
		if (f->severity == BDFU_SEVERITY_ERROR)
			n++;
	}
	return n;
}

/* exactly one finding, with that id and severity; returns it */
static BdfuFinding *
assert_only(GPtrArray *findings, const gchar *id, BdfuSeverity severity)
{
	BdfuFinding *f;
	g_assert_cmpuint(findings->len, ==, 1);
	f = g_ptr_array_index(findings, 0);
	g_assert_cmpstr(f->id, ==, id);
	g_assert_cmpint(f->severity, ==, severity);
	g_assert_nonnull(f->message);
	g_assert_nonnull(f->fix);
	g_assert_null(strchr(f->fix, '\n'));
	return f;
}

/* the FWID table ----------------------------------------------------------------------------- */

static void
test_softdevice_lookup(void)
{
	/* every SoftDevice row of PROTOCOL.md §8.3 */
	static const guint16 fwids[] = {
	    0x67,  0x80,  0x87,	 0x81,	0x88, 0x8C, 0x91,  0x95,  0x98, 0x99,  0x9E,  0x9F, 0x9D,
	    0xA5,  0xA8,  0xAF,	 0xB7,	0xC2, 0xCB, 0x101, 0x124, 0x96, 0xA9,  0xAE,  0xB6, 0xC1,
	    0xCA,  0x100, 0x123, 0xA6,	0xA7, 0xB0, 0xB8,  0xC4,  0xCD, 0x103, 0x126, 0xC3, 0xCC,
	    0x102, 0x125, 0xEA,	 0x112, 0x8D, 0x93, 0x9C,  0xBC,  0x8E, 0x94,  0x9B,  0xBA, 0xB9,
	};
	const BdfuSoftDeviceInfo *sd;

	for (gsize i = 0; i < G_N_ELEMENTS(fwids); i++) {
		sd = bdfu_softdevice_lookup(fwids[i]);
		g_assert_nonnull(sd);
		g_assert_cmpuint(sd->fwid, ==, fwids[i]);
		g_assert_true(g_str_has_prefix(sd->name, "S1") ||
			      g_str_has_prefix(sd->name, "S2") || g_str_has_prefix(sd->name, "S3"));
		g_assert_nonnull(sd->soc);
		g_assert_cmpuint(sd->sd_id, >=, 112);
	}
	sd = bdfu_softdevice_lookup(0x9D);
	g_assert_cmpstr(sd->name, ==, "S132 5.0.0");
	g_assert_cmpstr(sd->soc, ==, "nRF52832");
	g_assert_cmphex(sd->app_start, ==, 0x23000);
	g_assert_cmpuint(sd->sd_id, ==, 132);
	g_assert_cmphex(bdfu_softdevice_lookup(0xA5)->app_start, ==, 0x23000);
	g_assert_cmphex(bdfu_softdevice_lookup(0x8C)->app_start, ==, 0x1F000);
	g_assert_cmphex(bdfu_softdevice_lookup(0x9F)->app_start, ==, 0x1F000);
	g_assert_cmphex(bdfu_softdevice_lookup(0xB7)->app_start, ==, 0x26000);
	g_assert_cmphex(bdfu_softdevice_lookup(0x124)->app_start, ==, 0x26000);
	g_assert_cmphex(bdfu_softdevice_lookup(0xA9)->app_start, ==, 0x26000);
	g_assert_cmphex(bdfu_softdevice_lookup(0xC1)->app_start, ==, 0x27000);
	g_assert_cmpstr(bdfu_softdevice_lookup(0x100)->name, ==, "S140 7.2.0");
	g_assert_cmpstr(bdfu_softdevice_lookup(0x100)->soc, ==, "nRF52840");
	g_assert_cmphex(bdfu_softdevice_lookup(0x96)->app_start, ==, 0x22000);
	g_assert_cmphex(bdfu_softdevice_lookup(0x87)->app_start, ==, 0x1B000);
	g_assert_cmpstr(bdfu_softdevice_lookup(0x87)->soc, ==, "nRF51");
	g_assert_cmphex(bdfu_softdevice_lookup(0xA6)->app_start, ==, 0x18000);
	g_assert_cmphex(bdfu_softdevice_lookup(0xB0)->app_start, ==, 0x19000);
	g_assert_cmphex(bdfu_softdevice_lookup(0x126)->app_start, ==, 0x19000);
	g_assert_cmphex(bdfu_softdevice_lookup(0xCC)->app_start, ==, 0x1C000);
	g_assert_cmphex(bdfu_softdevice_lookup(0x67)->app_start, ==, 0);
	g_assert_cmphex(bdfu_softdevice_lookup(0xB9)->app_start, ==, 0);
	g_assert_cmphex(bdfu_softdevice_lookup(0x112)->app_start, ==, 0);
	g_assert_null(bdfu_softdevice_lookup(0x00));
	g_assert_null(bdfu_softdevice_lookup(0xFFFE));
	g_assert_null(bdfu_softdevice_lookup(0xCAFE));
	g_assert_null(bdfu_softdevice_lookup(0xBEEF));
}

static void
test_softdevice_describe(void)
{
	static const struct {
		guint32 fwid;
		const gchar *text;
	} cases[] = {
	    {0x9D, "0x9D S132 5.0.0"},
	    {0x100, "0x100 S140 7.2.0"},
	    {0xFFFE, "0xFFFE any SoftDevice (debug packages only)"},
	    {0xCAFE, "0xCAFE not a SoftDevice ID (Nordic debug test images)"},
	    {0x00, "0x00 no SoftDevice (MBR-only device or app replaces SD)"},
	    {0x1234, "0x1234 unknown SoftDevice"},
	    {0x1009D, "0x1009D unknown SoftDevice"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *text = bdfu_softdevice_describe(cases[i].fwid);
		g_assert_cmpstr(text, ==, cases[i].text);
	}
}

/* every app start in the table is a place an application can be linked for, and a mislinked
 * app is told which SoftDevice that start belongs to */
static void
test_softdevice_app_starts_named(void)
{
	for (guint fwid = 0; fwid <= G_MAXUINT16; fwid++) {
		const BdfuSoftDeviceInfo *sd = bdfu_softdevice_lookup((guint16)fwid);
		g_autoptr(GByteArray) app = NULL;
		g_autoptr(GPtrArray) ok = NULL;
		g_autoptr(GPtrArray) bad = NULL;
		BdfuFinding *f;
		if (sd == NULL || sd->app_start == 0)
			continue;
		app = make_app(sd->app_start, 0x4000);
		ok = check_app(fwid, app);
		g_assert_cmpuint(ok->len, ==, 0);
		/* no SoftDevice in the table puts apps at 0x60000 */
		bad = check_app(0x00, app);
		f = assert_only(bad, "app-linked-for-other-sd", BDFU_SEVERITY_ERROR);
		g_assert_null(strstr(f->message, "no known SoftDevice"));
		g_assert_nonnull(strstr(f->message, "starts apps at 0x1000"));
	}
}

/* info struct and vectors -------------------------------------------------------------------- */

static void
test_sd_info_found(void)
{
	g_autoptr(GByteArray) sd = make_sd(0x9D, 0x23000, 0x2C, FALSE, 136360, 136360);
	g_autoptr(GByteArray) sd0 = make_sd(0xA8, 0x26000, 0x2C, TRUE, 0x1000, 0x4000);
	g_autoptr(GByteArray) old = make_sd(0x87, 0x1B000, 0x10, FALSE, 0x3000, 0x3000);
	BdfuSdInfoStruct info;

	g_assert_true(bdfu_image_find_sd_info(sd->data, sd->len, &info));
	g_assert_cmpuint(info.offset, ==, 0x2000);
	g_assert_cmphex(info.sd_end, ==, 0x23000);
	g_assert_cmphex(info.fwid, ==, 0x9D);
	g_assert_cmpuint(info.sd_id, ==, 132);
	g_assert_cmpuint(info.version, ==, 5000000);

	g_assert_true(bdfu_image_find_sd_info(sd0->data, sd0->len, &info));
	g_assert_cmpuint(info.offset, ==, 0x3000);
	g_assert_cmphex(info.sd_end, ==, 0x26000);
	g_assert_cmphex(info.fwid, ==, 0xA8);

	/* S130 2.0.x has a 16-byte struct: no SD_ID, no version */
	g_assert_true(bdfu_image_find_sd_info(old->data, old->len, &info));
	g_assert_cmphex(info.fwid, ==, 0x87);
	g_assert_cmpuint(info.sd_id, ==, 0);
	g_assert_cmpuint(info.version, ==, 0);
	g_assert_true(bdfu_image_find_sd_info(old->data, old->len, NULL));
}

static void
test_sd_info_absent(void)
{
	g_autoptr(GByteArray) sd = make_sd(0x9D, 0x23000, 0x2C, FALSE, 0x3000, 0x3000);
	g_autoptr(GByteArray) app = make_app(0x23000, 0x8000);
	BdfuSdInfoStruct info;

	/* cut before the FWID: bounds, not a guess */
	for (gsize len = 0; len < 0x2010; len += 0x101)
		g_assert_false(bdfu_image_find_sd_info(sd->data, len, &info));
	g_assert_false(bdfu_image_find_sd_info(sd->data, 0x200F, &info));
	g_assert_true(bdfu_image_find_sd_info(sd->data, 0x2010, &info));
	g_assert_cmpuint(info.sd_id, ==, 0);
	g_assert_false(bdfu_image_find_sd_info(NULL, 0, &info));
	g_assert_false(bdfu_image_find_sd_info(app->data, app->len, &info));
	/* the magic with an impossible SoftDevice end is not a SoftDevice */
	put_u32(sd->data + 0x2008, 0xFFFFFFFF);
	g_assert_false(bdfu_image_find_sd_info(sd->data, sd->len, &info));
}

static void
test_vectors(void)
{
	static const struct {
		guint32 sp;
		gboolean sane;
	} cases[] = {
	    {0x20010000, TRUE},
	    {0x20040000, TRUE},
	    {0x20000000, TRUE},
	    {0x200012E8, TRUE},
	    {0x20040004, FALSE},
	    {0x1FFFFFFC, FALSE},
	    {0x20000402, FALSE},
	    {0xFFFFFFFF, FALSE},
	    {0x00000000, FALSE},
	};
	g_autoptr(GByteArray) app = make_app(0x26000, 64);
	BdfuVectorTable vt;

	g_assert_true(bdfu_image_read_vectors(app->data, app->len, &vt));
	g_assert_cmphex(vt.initial_sp, ==, 0x20010000);
	g_assert_cmphex(vt.reset_vector, ==, 0x26217);
	g_assert_false(bdfu_image_read_vectors(app->data, 7, &vt));
	g_assert_true(bdfu_image_read_vectors(app->data, 8, &vt));
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		BdfuVectorTable v = {cases[i].sp, 0x26217};
		g_assert_cmpint(bdfu_vectors_sp_is_sane(&v), ==, cases[i].sane);
	}
}

static void
test_finding_basics(void)
{
	g_autoptr(BdfuFinding) f = bdfu_finding_new("x-y", BDFU_SEVERITY_WARNING, "msg", "fix");
	g_assert_cmpstr(f->id, ==, "x-y");
	g_assert_cmpstr(f->message, ==, "msg");
	g_assert_cmpstr(f->fix, ==, "fix");
	g_assert_cmpstr(bdfu_severity_to_string(BDFU_SEVERITY_INFO), ==, "info");
	g_assert_cmpstr(bdfu_severity_to_string(BDFU_SEVERITY_WARNING), ==, "warning");
	g_assert_cmpstr(bdfu_severity_to_string(BDFU_SEVERITY_ERROR), ==, "error");
	bdfu_finding_free(NULL);
}

/* application checks ------------------------------------------------------------------------- */

static void
test_check_app_ok(void)
{
	static const struct {
		guint32 base;
		guint32 fwid;
	} cases[] = {
	    {0x23000, 0x9D},
	    {0x26000, 0xA8},
	    {0x1F000, 0x98},
	    {0x27000, 0x100},
	    {0x1000, 0x00},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GByteArray) app = make_app(cases[i].base, 2168);
		g_autoptr(GPtrArray) findings = check_app(cases[i].fwid, app);
		g_assert_cmpuint(findings->len, ==, 0);
	}
}

static void
test_check_app_contains_softdevice(void)
{
	g_autoptr(GByteArray) merged = make_merged();
	g_autoptr(GPtrArray) findings = check_app(0x9D, merged);
	BdfuFinding *f = assert_only(findings, "app-contains-softdevice", BDFU_SEVERITY_ERROR);

	g_assert_cmpuint(merged->len, ==, 141432);
	g_assert_nonnull(strstr(f->message, "S132 5.0.0 (FWID 0x9D, 136360 bytes)"));
	g_assert_nonnull(strstr(f->message, "merged hex"));
	g_assert_nonnull(strstr(f->message, "never runs"));
	g_assert_nonnull(strstr(f->fix, "application-only hex"));
	g_assert_nonnull(strstr(f->fix, "from 0x23000"));
}

/* the same mistake from a hex converted from 0x0 (MBR first, info struct at 0x3000) */
static void
test_check_app_contains_softdevice_from_0(void)
{
	g_autoptr(GByteArray) merged = make_sd(0xA8, 0x26000, 0x2C, TRUE, 0x24000, 0x26000);
	g_autoptr(GPtrArray) findings = check_app(0xA8, merged);
	BdfuFinding *f = assert_only(findings, "app-contains-softdevice", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "S132 6.0.0 (FWID 0xA8, 147456 bytes)"));
	g_assert_nonnull(strstr(f->fix, "0x26000"));
}

/* an FWID the table does not know is named from the struct's own SD_ID and version */
static void
test_check_app_contains_unlisted_softdevice(void)
{
	g_autoptr(GByteArray) merged = make_sd(0xCAFE, 0x23000, 0x2C, FALSE, 0x3000, 0x22800);
	g_autoptr(GPtrArray) findings = check_app(0x9D, merged);
	BdfuFinding *f = assert_only(findings, "app-contains-softdevice", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "S132 5.0.0 (FWID 0xCAFE, 12288 bytes)"));
}

static void
test_check_app_contains_mbr(void)
{
	g_autoptr(GByteArray) app = make_app(0x1000, 0x2000);
	g_autoptr(GPtrArray) findings = NULL;
	BdfuFinding *f;
	put_u32(app->data, 0x20000400);
	put_u32(app->data + 4, 0x000008E9);
	findings = check_app(0x00, app);
	f = assert_only(findings, "app-contains-mbr", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "0x000008E9"));
	g_assert_nonnull(strstr(f->message, "0x20000400"));
}

static void
test_check_app_is_bootloader(void)
{
	g_autoptr(GByteArray) bl = make_app(0x78000, 23724);
	g_autoptr(GPtrArray) findings = check_app(0x9D, bl);
	BdfuFinding *f = assert_only(findings, "app-is-bootloader", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "0x00078217"));
	g_assert_nonnull(strstr(f->fix, "bootloader"));
}

static void
test_check_app_linked_for_other_sd(void)
{
	g_autoptr(GByteArray) app = make_app(0x1F000, 29692);
	g_autoptr(GPtrArray) findings = check_app(0xA8, app);
	BdfuFinding *f = assert_only(findings, "app-linked-for-other-sd", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "linked for 0x1F000 (S132 3.x/4.x)"));
	g_assert_nonnull(strstr(f->message, "0x0001F217"));
	g_assert_nonnull(strstr(f->message, "sd_req 0xA8 (S132 6.0.0) starts apps at 0x26000"));
	g_assert_nonnull(strstr(f->fix, "S132 6.0.0"));
	g_assert_nonnull(strstr(f->fix, "0x26000"));
}

/* SDK 14 blinky (0x23000) for a device with S132 6.x and the reverse */
static void
test_check_app_linked_newer_and_older(void)
{
	g_autoptr(GByteArray) app23 = make_app(0x23000, 2168);
	g_autoptr(GByteArray) app26 = make_app(0x26000, 43008);
	g_autoptr(GPtrArray) f1 = check_app(0xB7, app23);
	g_autoptr(GPtrArray) f2 = check_app(0x9D, app26);
	BdfuFinding *f;

	f = assert_only(f1, "app-linked-for-other-sd", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "linked for 0x23000 (S132 5.x)"));
	g_assert_nonnull(strstr(f->message, "0xB7 (S132 6.1.1) starts apps at 0x26000"));
	/* 0x23000 + 43008 still covers 0x26217, but the handler sits where S132 6.x apps start */
	f = assert_only(f2, "app-linked-for-other-sd", BDFU_SEVERITY_WARNING);
	g_assert_nonnull(strstr(f->message, "looks linked for 0x26000 (S132 6.x/7.x or S140 6.x)"));
	g_assert_nonnull(strstr(f->message, "0x9D (S132 5.0.0) starts apps at 0x23000"));
	g_assert_nonnull(strstr(f->fix, "FLASH ORIGIN = 0x23000"));
}

/* the same S132 6.x app, small enough to miss 0x23000 + size: certain, so an error */
static void
test_check_app_linked_small_newer(void)
{
	g_autoptr(GByteArray) app26 = make_app(0x26000, 4096);
	g_autoptr(GPtrArray) findings = check_app(0x9D, app26);
	BdfuFinding *f = assert_only(findings, "app-linked-for-other-sd", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "linked for 0x26000 (S132 6.x/7.x or S140 6.x) but"));
}

/* several sd_req entries: fitting any one of them is enough; otherwise all are named */
static void
test_check_app_linked_sd_req_list(void)
{
	static const guint32 fits[] = {0xCAFE, 0x9D, 0xA8};
	static const guint32 misses[] = {0x98, 0xA8};
	static const guint32 maybe[] = {0x98, 0xCAFE};
	g_autoptr(GByteArray) app = make_app(0x23000, 4096);
	g_autoptr(GByteArray) odd = make_app(0x50000, 4096);
	g_autoptr(GPtrArray) ok = NULL;
	g_autoptr(GPtrArray) bad = NULL;
	g_autoptr(GPtrArray) unnamed = NULL;
	g_autoptr(GPtrArray) unsure = NULL;
	BdfuInitPacket init;
	BdfuFinding *f;

	init_for(&init, BDFU_FW_TYPE_APPLICATION, fits, G_N_ELEMENTS(fits), app);
	ok = check(&init, app);
	g_assert_cmpuint(ok->len, ==, 0);

	init_for(&init, BDFU_FW_TYPE_APPLICATION, misses, G_N_ELEMENTS(misses), app);
	bad = check(&init, app);
	f = assert_only(bad, "app-linked-for-other-sd", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message,
				"0x98 (S132 4.0.2) starts apps at 0x1F000, "
				"0xA8 (S132 6.0.0) starts apps at 0x26000"));
	g_assert_nonnull(strstr(f->fix, "S132 4.0.2"));

	/* 0xCAFE (a debug SoftDevice) could be one that ends at 0x23000: only a warning */
	init_for(&init, BDFU_FW_TYPE_APPLICATION, maybe, G_N_ELEMENTS(maybe), app);
	unsure = check(&init, app);
	f = assert_only(unsure, "app-linked-for-other-sd", BDFU_SEVERITY_WARNING);
	g_assert_nonnull(strstr(f->message, "linked for 0x23000 (S132 5.x)"));
	g_assert_nonnull(strstr(f->message, "SoftDevice is 0xCAFE"));

	/* a link address no SoftDevice uses is given as its page */
	init_for(&init, BDFU_FW_TYPE_APPLICATION, misses, G_N_ELEMENTS(misses), odd);
	unnamed = check(&init, odd);
	f = assert_only(unnamed, "app-linked-for-other-sd", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "about 0x50000"));
}

/* MBR-only devices (sd_req [0x00]) start applications at 0x1000 */
static void
test_check_app_mbr_only(void)
{
	g_autoptr(GByteArray) dongle = make_app(0x1000, 3084);
	g_autoptr(GByteArray) sd_app = make_app(0x26000, 3084);
	g_autoptr(GPtrArray) ok = check_app(0x00, dongle);
	g_autoptr(GPtrArray) bad = check_app(0x00, sd_app);
	BdfuFinding *f;

	g_assert_cmpuint(ok->len, ==, 0);
	f = assert_only(bad, "app-linked-for-other-sd", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "0x00 (no SoftDevice) starts apps at 0x1000"));
}

static void
test_check_app_bad_vector_table(void)
{
	g_autoptr(GByteArray) erased = make_app(0x23000, 4096);
	g_autoptr(GByteArray) arm = make_app(0x23000, 4096);
	g_autoptr(GByteArray) tiny = make_app(0x23000, 4);
	g_autoptr(GPtrArray) f1 = NULL;
	g_autoptr(GPtrArray) f2 = NULL;
	g_autoptr(GPtrArray) f3 = NULL;
	BdfuFinding *f;

	memset(erased->data, 0xFF, 8);
	f1 = check_app(0x9D, erased);
	f = assert_only(f1, "app-bad-vector-table", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "0xFFFFFFFF"));
	g_assert_nonnull(strstr(f->message, "stack pointer"));

	put_u32(arm->data + 4, 0x00023214);
	f2 = check_app(0x9D, arm);
	f = assert_only(f2, "app-bad-vector-table", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "0x00023214"));
	g_assert_nonnull(strstr(f->message, "Thumb"));

	f3 = check_app(0x9D, tiny);
	f = assert_only(f3, "app-bad-vector-table", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "4 bytes"));
}

/* sd_req, debug, SoftDevice and integrity checks --------------------------------------------- */

static void
test_check_unknown_sd_req(void)
{
	static const guint32 beef[] = {0xBEEF};
	static const guint32 beef_and_known[] = {0xBEEF, 0x8C};
	static const guint32 specials[][1] = {{0xFFFE}, {0xCAFE}, {0x00}};
	g_autoptr(GByteArray) app = make_app(0x1F000, 4096);
	g_autoptr(GByteArray) dongle = make_app(0x1000, 4096);
	g_autoptr(GPtrArray) f1 = NULL;
	g_autoptr(GPtrArray) f2 = NULL;
	g_autoptr(GPtrArray) f3 = NULL;
	g_autoptr(GPtrArray) f4 = NULL;
	BdfuInitPacket init;
	BdfuFinding *f;

	/* nothing to compare the link address with: only the warning */
	init_for(&init, BDFU_FW_TYPE_APPLICATION, beef, 1, app);
	f1 = check(&init, app);
	f = assert_only(f1, "unknown-sd-req", BDFU_SEVERITY_WARNING);
	g_assert_nonnull(strstr(f->message, "0xBEEF"));

	init_for(&init, BDFU_FW_TYPE_APPLICATION, beef_and_known, 2, app);
	f2 = check(&init, app);
	g_assert_cmpuint(f2->len, ==, 0);

	for (gsize i = 0; i < G_N_ELEMENTS(specials); i++) {
		g_autoptr(GPtrArray) fs = NULL;
		init_for(&init, BDFU_FW_TYPE_APPLICATION, specials[i], 1, dongle);
		fs = check(&init, dongle);
		g_assert_cmpuint(fs->len, ==, 0);
	}

	/* a count beyond the array (the struct is public) reads only the array */
	init_for(&init, BDFU_FW_TYPE_APPLICATION, beef, 1, app);
	for (guint i = 0; i < BDFU_INIT_SD_REQ_MAX; i++)
		init.sd_req[i] = 0xBEEF;
	init.sd_req_len = G_MAXUINT;
	f4 = check(&init, app);
	f = assert_only(f4, "unknown-sd-req", BDFU_SEVERITY_WARNING);
	g_assert_cmpuint(strlen(f->message), <, 300);

	init_for(&init, BDFU_FW_TYPE_APPLICATION, NULL, 0, app);
	f3 = check(&init, app);
	f = assert_only(f3, "unknown-sd-req", BDFU_SEVERITY_WARNING);
	g_assert_nonnull(strstr(f->message, "empty"));
}

static void
test_check_debug_package(void)
{
	g_autoptr(GByteArray) app = make_app(0x23000, 4096);
	g_autoptr(GPtrArray) findings = NULL;
	BdfuInitPacket init;
	guint32 fwid = 0x9D;
	BdfuFinding *f;

	init_for(&init, BDFU_FW_TYPE_APPLICATION, &fwid, 1, app);
	init.is_debug = TRUE;
	findings = check(&init, app);
	f = assert_only(findings, "debug-package", BDFU_SEVERITY_WARNING);
	g_assert_nonnull(strstr(f->message, "is_debug"));
	g_assert_nonnull(strstr(f->fix, "--debug-mode"));
}

static void
test_check_softdevice_missing_info(void)
{
	g_autoptr(GByteArray) sd = make_sd(0x9D, 0x23000, 0x2C, FALSE, 136360, 136360);
	g_autoptr(GByteArray) not_sd = make_app(0x23000, 0x4000);
	g_autoptr(GPtrArray) ok = NULL;
	g_autoptr(GPtrArray) ok_sdbl = NULL;
	g_autoptr(GPtrArray) bad = NULL;
	g_autoptr(GPtrArray) bad_sdbl = NULL;
	BdfuInitPacket init;
	guint32 fwid = 0x9D;
	BdfuFinding *f;

	init_for(&init, BDFU_FW_TYPE_SOFTDEVICE, &fwid, 1, sd);
	ok = check(&init, sd);
	g_assert_cmpuint(ok->len, ==, 0);
	init_for(&init, BDFU_FW_TYPE_SOFTDEVICE, &fwid, 1, not_sd);
	bad = check(&init, not_sd);
	f = assert_only(bad, "softdevice-missing-info", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "0x51B1E5DB"));
	g_assert_nonnull(strstr(f->message, "16384 bytes"));

	/* SD+BL: sd_size + bl_size make up the image */
	init_for(&init, BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER, &fwid, 1, sd);
	init.sd_size = sd->len - 0x1000;
	init.bl_size = 0x1000;
	ok_sdbl = check(&init, sd);
	g_assert_cmpuint(ok_sdbl->len, ==, 0);
	init_for(&init, BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER, &fwid, 1, not_sd);
	init.sd_size = not_sd->len;
	bad_sdbl = check(&init, not_sd);
	assert_only(bad_sdbl, "softdevice-missing-info", BDFU_SEVERITY_ERROR);
}

static void
test_check_other_types(void)
{
	g_autoptr(GByteArray) bl = make_app(0x78000, 0x6000);
	g_autoptr(GPtrArray) findings = NULL;
	BdfuInitPacket init;
	guint32 fwid = 0x9D;

	/* a bootloader's vectors point high: that is no finding for a BOOTLOADER part */
	init_for(&init, BDFU_FW_TYPE_BOOTLOADER, &fwid, 1, bl);
	findings = check(&init, bl);
	g_assert_cmpuint(findings->len, ==, 0);
}

static void
test_check_hash(void)
{
	g_autoptr(GByteArray) app = make_app(0x23000, 4096);
	g_autoptr(GPtrArray) f1 = NULL;
	g_autoptr(GPtrArray) f2 = NULL;
	BdfuInitPacket init;
	guint32 fwid = 0x9D;
	BdfuFinding *f;

	init_for(&init, BDFU_FW_TYPE_APPLICATION, &fwid, 1, app);
	init.hash[5] ^= 0x01;
	f1 = check(&init, app);
	f = assert_only(f1, "hash-mismatch", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "4096-byte"));
	g_assert_nonnull(strstr(f->message, "0B 0C"));

	/* the June 2016 tools stored the digest as it comes */
	init_for(&init, BDFU_FW_TYPE_APPLICATION, &fwid, 1, app);
	for (guint i = 0; i < 16; i++) {
		guint8 t = init.hash[i];
		init.hash[i] = init.hash[31 - i];
		init.hash[31 - i] = t;
	}
	f2 = check(&init, app);
	assert_only(f2, "hash-big-endian", BDFU_SEVERITY_INFO);
}

static void
test_check_size_mismatch(void)
{
	g_autoptr(GByteArray) app = make_app(0x23000, 4096);
	g_autoptr(GByteArray) cut = make_app(0x23000, 4096);
	g_autoptr(GPtrArray) findings = NULL;
	BdfuInitPacket init;
	guint32 fwid = 0x9D;
	BdfuFinding *f;

	init_for(&init, BDFU_FW_TYPE_APPLICATION, &fwid, 1, app);
	g_byte_array_set_size(cut, 4000);
	findings = check(&init, cut);
	g_assert_nonnull(find(findings, "hash-mismatch"));
	f = find(findings, "size-mismatch");
	g_assert_nonnull(f);
	g_assert_cmpint(f->severity, ==, BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "declares 4096 bytes"));
	g_assert_nonnull(strstr(f->message, "has 4000 bytes"));
	g_assert_cmpuint(findings->len, ==, 2);
}

/* the checks run on what the parser makes of an nrfutil-style .dat, not only on a struct */
static void
test_check_parsed_init_packet(void)
{
	g_autoptr(GByteArray) merged = make_merged();
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(BdfuInitPacket) parsed = NULL;
	g_autoptr(GPtrArray) findings = NULL;
	g_autoptr(GError) error = NULL;
	BdfuInitPacket init;
	guint32 fwid = 0x9D;

	init_for(&init, BDFU_FW_TYPE_APPLICATION, &fwid, 1, merged);
	dat = bdfu_init_packet_encode(&init, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(dat);
	parsed = bdfu_init_packet_parse(g_bytes_get_data(dat, NULL), g_bytes_get_size(dat), &error);
	g_assert_no_error(error);
	g_assert_nonnull(parsed);
	findings = check(parsed, merged);
	assert_only(findings, "app-contains-softdevice", BDFU_SEVERITY_ERROR);
}

/* would the app run at app_start? ------------------------------------------------------------ */

static void
test_would_run(void)
{
	g_autoptr(GByteArray) app = make_app(0x23000, 2168);
	g_autoptr(GByteArray) merged = make_merged();
	g_autoptr(GByteArray) bad_sp = make_app(0x23000, 2168);
	g_autofree gchar *r1 = NULL;
	g_autofree gchar *r2 = NULL;
	g_autofree gchar *r3 = NULL;
	g_autofree gchar *r4 = NULL;
	g_autofree gchar *r5 = NULL;
	gchar *untouched = NULL;

	g_assert_true(bdfu_image_app_would_run(app->data, app->len, 0x23000, &untouched));
	g_assert_null(untouched);
	g_assert_true(bdfu_image_app_would_run(app->data, app->len, 0x23000, NULL));

	g_assert_false(bdfu_image_app_would_run(merged->data, merged->len, 0x23000, &r1));
	g_assert_nonnull(strstr(r1, "starts with a SoftDevice copy (S132 5.0.0, FWID 0x9D)"));
	g_assert_nonnull(strstr(r1, "jumps into the resident SoftDevice"));
	g_assert_nonnull(strstr(r1, "0x23000"));

	/* linked for 0x23000 but placed at 0x26000 */
	g_assert_false(bdfu_image_app_would_run(app->data, app->len, 0x26000, &r2));
	g_assert_nonnull(strstr(r2, "0x00023217 jumps into the resident SoftDevice"));
	g_assert_nonnull(strstr(r2, "linked for another address"));
	/* linked for 0x23000 but placed at 0x1F000: past its end */
	g_assert_false(bdfu_image_app_would_run(app->data, app->len, 0x1F000, &r3));
	g_assert_nonnull(strstr(r3, "past the end"));

	put_u32(bad_sp->data, 0x00010000);
	g_assert_false(bdfu_image_app_would_run(bad_sp->data, bad_sp->len, 0x23000, &r4));
	g_assert_nonnull(strstr(r4, "0x00010000"));
	g_assert_false(bdfu_image_app_would_run(app->data, 6, 0x23000, &r5));
	g_assert_nonnull(strstr(r5, "6 bytes"));
	g_assert_false(bdfu_image_app_would_run(merged->data, merged->len, 0x23000, NULL));
}

/* real packages ------------------------------------------------------------------------------ */

static const gchar *
fixtures_dir(void)
{
	const gchar *dir = g_getenv("BDFU_FIXTURES");
	if (dir == NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR))
		return NULL;
	return dir;
}

static GBytes *
zip_read(zip_t *zip, const gchar *name)
{
	zip_stat_t st;
	zip_file_t *file;
	g_autofree guint8 *data = NULL;
	zip_int64_t got;

	if (zip_stat(zip, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
		return NULL;
	file = zip_fopen(zip, name, 0);
	if (file == NULL)
		return NULL;
	data = g_malloc(st.size + 1);
	got = zip_fread(file, data, st.size);
	zip_fclose(file);
	if (got < 0 || (zip_uint64_t)got != st.size)
		return NULL;
	return g_bytes_new_take(g_steal_pointer(&data), st.size);
}

typedef struct {
	gchar *name; /* "application", ... */
	GBytes *bin;
	BdfuInitPacket *init;
	GPtrArray *findings;
} FixturePart;

static void
fixture_part_free(FixturePart *part)
{
	g_free(part->name);
	g_bytes_unref(part->bin);
	bdfu_init_packet_free(part->init);
	g_ptr_array_unref(part->findings);
	g_free(part);
}

/* every part of a Secure DFU zip with its findings; the manifest says what is in it */
static GPtrArray *
fixture_check(const gchar *path)
{
	g_autoptr(GPtrArray) parts =
	    g_ptr_array_new_with_free_func((GDestroyNotify)fixture_part_free);
	g_autoptr(GBytes) manifest_bytes = NULL;
	g_autoptr(cJSON) manifest = NULL;
	g_autofree gchar *manifest_text = NULL;
	const cJSON *entry;
	int err = 0;
	zip_t *zip = zip_open(path, ZIP_RDONLY, &err);

	g_assert_nonnull(zip);
	manifest_bytes = zip_read(zip, "manifest.json");
	g_assert_nonnull(manifest_bytes);
	manifest_text =
	    g_strndup(g_bytes_get_data(manifest_bytes, NULL), g_bytes_get_size(manifest_bytes));
	manifest = cJSON_Parse(manifest_text);
	g_assert_nonnull(manifest);
	cJSON_ArrayForEach(entry, cJSON_GetObjectItem(manifest, "manifest"))
	{
		FixturePart *part;
		g_autoptr(GBytes) dat = NULL;
		g_autoptr(GError) error = NULL;
		const cJSON *bin_name = cJSON_GetObjectItem(entry, "bin_file");
		const cJSON *dat_name = cJSON_GetObjectItem(entry, "dat_file");
		if (!cJSON_IsString(bin_name) || !cJSON_IsString(dat_name))
			continue;
		part = g_new0(FixturePart, 1);
		g_ptr_array_add(parts, part);
		part->name = g_strdup(entry->string);
		part->bin = zip_read(zip, bin_name->valuestring);
		dat = zip_read(zip, dat_name->valuestring);
		g_assert_nonnull(part->bin);
		g_assert_nonnull(dat);
		part->init = bdfu_init_packet_parse(
		    g_bytes_get_data(dat, NULL), g_bytes_get_size(dat), &error);
		g_assert_no_error(error);
		g_assert_nonnull(part->init);
		part->findings = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_finding_free);
		bdfu_image_check(part->init,
				 g_bytes_get_data(part->bin, NULL),
				 g_bytes_get_size(part->bin),
				 part->findings);
		for (guint i = 0; i < part->findings->len; i++) {
			BdfuFinding *f = g_ptr_array_index(part->findings, i);
			g_test_message("%s [%s] %s %s: %s",
				       path,
				       part->name,
				       bdfu_severity_to_string(f->severity),
				       f->id,
				       f->message);
		}
	}
	zip_close(zip);
	g_assert_cmpuint(parts->len, >, 0);
	return g_steal_pointer(&parts);
}

static gchar *
seed_path(const gchar *name)
{
	const gchar *dir = fixtures_dir();
	gchar *path;
	if (dir == NULL) {
		g_test_skip("BDFU_FIXTURES is not set or missing: no real packages to check");
		return NULL;
	}
	path = g_build_filename(dir, "seed", name, NULL);
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_autofree gchar *msg = g_strdup_printf("%s is missing", path);
		g_test_skip(msg);
		g_free(path);
		return NULL;
	}
	return path;
}

static void
test_fixture_seed_merged(gconstpointer user_data)
{
	g_autofree gchar *path = seed_path(user_data);
	g_autoptr(GPtrArray) parts = NULL;
	g_autofree gchar *reason = NULL;
	FixturePart *app;
	BdfuFinding *f;

	if (path == NULL)
		return;
	parts = fixture_check(path);
	g_assert_cmpuint(parts->len, ==, 1);
	app = g_ptr_array_index(parts, 0);
	g_assert_cmpstr(app->name, ==, "application");
	f = assert_only(app->findings, "app-contains-softdevice", BDFU_SEVERITY_ERROR);
	g_assert_nonnull(strstr(f->message, "S132 5.0.0 (FWID 0x9D, 136360 bytes)"));
	g_assert_nonnull(strstr(f->fix, "0x23000"));
	g_assert_false(bdfu_image_app_would_run(
	    g_bytes_get_data(app->bin, NULL), g_bytes_get_size(app->bin), 0x23000, &reason));
	g_assert_nonnull(strstr(reason, "starts with a SoftDevice copy"));
	g_assert_nonnull(
	    strstr(reason, "reset vector 0x00021D11 jumps into the resident SoftDevice"));
}

static void
test_fixture_seed_app_only(gconstpointer user_data)
{
	g_autofree gchar *path = seed_path(user_data);
	g_autoptr(GPtrArray) parts = NULL;
	g_autofree gchar *reason = NULL;
	FixturePart *app;

	if (path == NULL)
		return;
	parts = fixture_check(path);
	g_assert_cmpuint(parts->len, ==, 1);
	app = g_ptr_array_index(parts, 0);
	g_assert_cmpuint(app->findings->len, ==, 0);
	g_assert_true(bdfu_image_app_would_run(
	    g_bytes_get_data(app->bin, NULL), g_bytes_get_size(app->bin), 0x23000, &reason));
	g_assert_null(reason);
}

/* pc-nrfutil's own test package is an nRF51 app linked at 0x1C000 with sd_req 0x8C (S132 3.0.0,
 * apps at 0x1F000): on a device with that SoftDevice it would never run, so it is flagged */
#define FIXTURE_MISLINKED "pcnrfutil_test_package"

static void
fixture_check_correct(const gchar *folder, const gchar *zip_path, guint *n_parts)
{
	g_autoptr(GPtrArray) parts = fixture_check(zip_path);
	for (guint i = 0; i < parts->len; i++) {
		FixturePart *part = g_ptr_array_index(parts, i);
		(*n_parts)++;
		if (g_str_has_suffix(folder, FIXTURE_MISLINKED)) {
			BdfuFinding *f = assert_only(
			    part->findings, "app-linked-for-other-sd", BDFU_SEVERITY_ERROR);
			g_assert_nonnull(strstr(f->message, "0x0001C149"));
			g_assert_nonnull(
			    strstr(f->message, "0x8C (S132 3.0.0) starts apps at 0x1F000"));
			continue;
		}
		if (count_errors(part->findings) > 0)
			g_test_fail_printf("%s [%s]: a correct package got an error finding",
					   zip_path,
					   part->name);
		/* debug test images get their warning, and nothing else is expected */
		for (guint j = 0; j < part->findings->len; j++) {
			BdfuFinding *f = g_ptr_array_index(part->findings, j);
			g_assert_cmpstr(f->id, ==, "debug-package");
			g_assert_true(part->init->is_debug);
		}
		if (part->init->type == BDFU_FW_TYPE_APPLICATION) {
			g_assert_false(bdfu_image_find_sd_info(
			    g_bytes_get_data(part->bin, NULL), g_bytes_get_size(part->bin), NULL));
		}
	}
}

static void
test_fixture_correct_packages(void)
{
	static const gchar *categories[] = {"secure", "unsigned"};
	const gchar *dir = fixtures_dir();
	guint n_zips = 0;
	guint n_parts = 0;

	if (dir == NULL) {
		g_test_skip("BDFU_FIXTURES is not set or missing: no real packages to check");
		return;
	}
	for (gsize c = 0; c < G_N_ELEMENTS(categories); c++) {
		g_autofree gchar *cat_dir = g_build_filename(dir, categories[c], NULL);
		g_autoptr(GDir) gdir = g_dir_open(cat_dir, 0, NULL);
		const gchar *folder;
		while (gdir != NULL && (folder = g_dir_read_name(gdir)) != NULL) {
			g_autofree gchar *sub = g_build_filename(cat_dir, folder, NULL);
			g_autoptr(GDir) zdir = g_dir_open(sub, 0, NULL);
			const gchar *name;
			while (zdir != NULL && (name = g_dir_read_name(zdir)) != NULL) {
				g_autofree gchar *zip_path = NULL;
				if (!g_str_has_suffix(name, ".zip"))
					continue;
				zip_path = g_build_filename(sub, name, NULL);
				fixture_check_correct(folder, zip_path, &n_parts);
				n_zips++;
			}
		}
	}
	g_test_message("%u packages, %u parts checked", n_zips, n_parts);
	if (n_zips == 0)
		g_test_skip("no secure/ or unsigned/ packages under BDFU_FIXTURES");
	else
		g_assert_cmpuint(n_zips, >=, 37);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/image/softdevice/lookup", test_softdevice_lookup);
	g_test_add_func("/image/softdevice/describe", test_softdevice_describe);
	g_test_add_func("/image/softdevice/app-starts-named", test_softdevice_app_starts_named);
	g_test_add_func("/image/sd-info/found", test_sd_info_found);
	g_test_add_func("/image/sd-info/absent-or-truncated", test_sd_info_absent);
	g_test_add_func("/image/vectors/read-and-sp", test_vectors);
	g_test_add_func("/image/finding/basics", test_finding_basics);
	g_test_add_func("/image/check/app-ok", test_check_app_ok);
	g_test_add_func("/image/check/app-contains-softdevice/merged-hex",
			test_check_app_contains_softdevice);
	g_test_add_func("/image/check/app-contains-softdevice/from-0x0",
			test_check_app_contains_softdevice_from_0);
	g_test_add_func("/image/check/app-contains-softdevice/unlisted-fwid",
			test_check_app_contains_unlisted_softdevice);
	g_test_add_func("/image/check/app-contains-mbr", test_check_app_contains_mbr);
	g_test_add_func("/image/check/app-is-bootloader", test_check_app_is_bootloader);
	g_test_add_func("/image/check/app-linked-for-other-sd/sdk12-app-on-s132-6",
			test_check_app_linked_for_other_sd);
	g_test_add_func("/image/check/app-linked-for-other-sd/newer-and-older",
			test_check_app_linked_newer_and_older);
	g_test_add_func("/image/check/app-linked-for-other-sd/small-newer",
			test_check_app_linked_small_newer);
	g_test_add_func("/image/check/app-linked-for-other-sd/sd-req-list",
			test_check_app_linked_sd_req_list);
	g_test_add_func("/image/check/app-linked-for-other-sd/mbr-only", test_check_app_mbr_only);
	g_test_add_func("/image/check/app-bad-vector-table", test_check_app_bad_vector_table);
	g_test_add_func("/image/check/unknown-sd-req", test_check_unknown_sd_req);
	g_test_add_func("/image/check/debug-package", test_check_debug_package);
	g_test_add_func("/image/check/softdevice-missing-info", test_check_softdevice_missing_info);
	g_test_add_func("/image/check/bootloader-type", test_check_other_types);
	g_test_add_func("/image/check/hash", test_check_hash);
	g_test_add_func("/image/check/size-mismatch", test_check_size_mismatch);
	g_test_add_func("/image/check/parsed-init-packet", test_check_parsed_init_packet);
	g_test_add_func("/image/would-run", test_would_run);
	g_test_add_data_func(
	    "/image/fixtures/seed/merged-hex", "seed-merged-hex.zip", test_fixture_seed_merged);
	g_test_add_data_func("/image/fixtures/seed/merged-hex-nrfutil6",
			     "seed-merged-hex.nrfutil6.zip",
			     test_fixture_seed_merged);
	g_test_add_data_func(
	    "/image/fixtures/seed/app-only", "seed-app-only.zip", test_fixture_seed_app_only);
	g_test_add_data_func("/image/fixtures/seed/app-only-nrfutil6",
			     "seed-app-only.nrfutil6.zip",
			     test_fixture_seed_app_only);
	g_test_add_func("/image/fixtures/secure-and-unsigned", test_fixture_correct_packages);
	return g_test_run();
}
