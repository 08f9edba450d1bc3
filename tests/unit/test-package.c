/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The package reader on every real package under $BDFU_FIXTURES (checked against fixtures.json)
 * and on hostile packages built here with our writer or with raw libzip. */
#include <cjson/cJSON.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <zip.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-package.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

/* ---- helpers ---------------------------------------------------------------------------- */

static guint8 *
find_bytes(guint8 *hay, gsize len, const gchar *needle)
{
	gsize n = strlen(needle);
	for (gsize i = 0; i + n <= len; i++) {
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	}
	return NULL;
}

static GBytes *
make_image(gsize size, guint8 seed)
{
	guint8 *buf = g_malloc(size);
	for (gsize i = 0; i < size; i++)
		buf[i] = (guint8)(seed + i * 7 + (i >> 8));
	return g_bytes_new_take(buf, size);
}

static BdfuFwType
fw_type_of(BdfuPartType type)
{
	switch (type) {
	case BDFU_PART_SOFTDEVICE_BOOTLOADER:
		return BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER;
	case BDFU_PART_SOFTDEVICE:
		return BDFU_FW_TYPE_SOFTDEVICE;
	case BDFU_PART_BOOTLOADER:
		return BDFU_FW_TYPE_BOOTLOADER;
	default:
		return BDFU_FW_TYPE_APPLICATION;
	}
}

typedef struct {
	gboolean no_is_debug;	  /* the 2016 pre-release form */
	gboolean big_endian_hash; /* the June 2016 tools */
	gint64 size_override;	  /* >= 0: declare this size instead of the image's */
	gint type_override;	  /* >= 0: this FwType instead of the part's */
} InitOpts;

static GBytes *
make_init_full(BdfuPartType type,
	       GBytes *image,
	       guint32 sd_size,
	       guint32 bl_size,
	       const InitOpts *o)
{
	BdfuInitPacket p = {0};
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(image, &len);
	GBytes *dat;

	p.has_fw_version = TRUE;
	p.fw_version = 1;
	p.has_hw_version = TRUE;
	p.hw_version = 52;
	p.sd_req_len = 1;
	p.sd_req[0] = 0x0100;
	p.has_type = TRUE;
	p.type = o != NULL && o->type_override >= 0 ? (guint32)o->type_override : fw_type_of(type);
	p.has_sd_size = p.has_bl_size = p.has_app_size = TRUE;
	if (type == BDFU_PART_SOFTDEVICE_BOOTLOADER) {
		p.sd_size = sd_size;
		p.bl_size = bl_size;
	} else if (type == BDFU_PART_SOFTDEVICE) {
		p.sd_size = (guint32)len;
	} else if (type == BDFU_PART_BOOTLOADER) {
		p.bl_size = (guint32)len;
	} else {
		p.app_size = (guint32)len;
	}
	if (o != NULL && o->size_override >= 0) {
		p.sd_size = p.bl_size = 0;
		p.app_size = (guint32)o->size_override;
	}
	p.has_hash = TRUE;
	p.hash_type = BDFU_HASH_TYPE_SHA256;
	p.hash_len = 32;
	if (o != NULL && o->big_endian_hash) {
		g_autoptr(GChecksum) cs = g_checksum_new(G_CHECKSUM_SHA256);
		gsize dlen = 32;
		g_checksum_update(cs, data, (gssize)len);
		g_checksum_get_digest(cs, p.hash, &dlen);
	} else {
		bdfu_init_packet_hash_image(data, len, p.hash);
	}
	p.has_is_debug = o == NULL || !o->no_is_debug;
	dat = bdfu_init_packet_encode(&p, NULL, &error);
	g_assert_no_error(error);
	return dat;
}

static GBytes *
make_init(BdfuPartType type, GBytes *image, guint32 sd_size, guint32 bl_size)
{
	return make_init_full(type, image, sd_size, bl_size, NULL);
}

/* a writer holding one good application part */
static BdfuPackageWriter *
writer_with_app(void)
{
	BdfuPackageWriter *writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = make_image(4096, 1);
	g_autoptr(GBytes) dat = make_init(BDFU_PART_APPLICATION, bin, 0, 0);
	bdfu_package_writer_add(
	    writer, BDFU_PART_APPLICATION, "app.bin", bin, "app.dat", dat, 0, 0);
	return writer;
}

static GBytes *
finish(BdfuPackageWriter *writer)
{
	g_autoptr(GError) error = NULL;
	GBytes *zip = bdfu_package_writer_finish(writer, &error);
	g_assert_no_error(error);
	g_assert_nonnull(zip);
	return zip;
}

static BdfuPackage *
read_ok(GBytes *zip)
{
	g_autoptr(GError) error = NULL;
	BdfuPackage *package = bdfu_package_new_from_bytes(zip, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(package);
	return package;
}

static void
assert_bad_with(GBytes *zip, const BdfuPackageLimits *limits, const gchar *phrase)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuPackage) package = bdfu_package_new_from_bytes(zip, limits, &error);
	g_assert_null(package);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE);
	if (strstr(error->message, phrase) == NULL)
		g_error("message \"%s\" does not mention \"%s\"", error->message, phrase);
	g_test_message("refused: %s", error->message);
}

static void
assert_bad(GBytes *zip, const gchar *phrase)
{
	assert_bad_with(zip, NULL, phrase);
}

static void
assert_bad_manifest(const gchar *json, const gchar *phrase)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) zip = NULL;
	bdfu_package_writer_set_manifest(writer, json);
	zip = finish(writer);
	assert_bad(zip, phrase);
}

typedef struct {
	const gchar *name;
	GBytes *data;
	gboolean deflate;
} RawEntry;

/* a zip made by libzip itself, for what our stored-only writer does not make */
static GBytes *
libzip_make(const RawEntry *entries, guint n)
{
	zip_error_t zerr;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	guint8 *buf;

	zip_error_init(&zerr);
	src = zip_source_buffer_create(NULL, 0, 0, &zerr);
	g_assert_nonnull(src);
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &zerr);
	g_assert_nonnull(za);
	for (guint i = 0; i < n; i++) {
		gsize len = 0;
		const void *data = g_bytes_get_data(entries[i].data, &len);
		zip_source_t *s = zip_source_buffer(za, data, len, 0);
		zip_int64_t idx = zip_file_add(za, entries[i].name, s, ZIP_FL_ENC_UTF_8);
		g_assert_cmpint(idx, >=, 0);
		g_assert_cmpint(
		    zip_set_file_compression(za,
					     (zip_uint64_t)idx,
					     entries[i].deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
					     9),
		    ==,
		    0);
	}
	g_assert_cmpint(zip_close(za), ==, 0);
	zip_stat_init(&st);
	g_assert_cmpint(zip_source_stat(src, &st), ==, 0);
	g_assert_cmpint(zip_source_open(src), ==, 0);
	buf = g_malloc(st.size);
	g_assert_cmpint(zip_source_read(src, buf, st.size), ==, (zip_int64_t)st.size);
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&zerr);
	return g_bytes_new_take(buf, st.size);
}

/* ---- fixtures --------------------------------------------------------------------------- */

static const gchar *
fixtures_dir(void)
{
	const gchar *dir = g_getenv("BDFU_FIXTURES");
	if (dir == NULL || dir[0] == '\0' || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_test_skip("no fixtures: set BDFU_FIXTURES to the shared fixtures folder");
		return NULL;
	}
	return dir;
}

static cJSON *
fixtures_json(const gchar *dir)
{
	g_autofree gchar *path = g_build_filename(dir, "fixtures.json", NULL);
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	cJSON *root;

	g_file_get_contents(path, &text, &len, &error);
	g_assert_no_error(error);
	root = cJSON_ParseWithLength(text, len);
	g_assert_true(cJSON_IsArray(root));
	return root;
}

static const gchar *
json_str(const cJSON *obj, const gchar *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static gint64
json_int(const cJSON *obj, const gchar *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	g_assert_true(cJSON_IsNumber(item));
	return (gint64)item->valuedouble;
}

static BdfuPartType
part_type_from_string(const gchar *s)
{
	for (guint t = 0; t <= BDFU_PART_APPLICATION; t++) {
		if (g_strcmp0(bdfu_part_type_to_string((BdfuPartType)t), s) == 0)
			return (BdfuPartType)t;
	}
	g_error("unknown part '%s'", s);
	return BDFU_PART_APPLICATION;
}

static void
check_expected_format(const cJSON *entry, const BdfuPackage *package)
{
	const gchar *category = json_str(entry, "category");
	const gchar *folder = json_str(entry, "folder");
	const cJSON *part;
	gboolean any_legacy = FALSE;

	cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(entry, "parts"))
	{
		any_legacy = any_legacy || g_strcmp0(json_str(part, "format"), "legacy") == 0;
	}
	if (g_strcmp0(category, "secure") == 0 || g_strcmp0(category, "unsigned") == 0) {
		g_assert_cmpint(package->format, ==, BDFU_PACKAGE_FORMAT_SECURE);
	} else if (g_strcmp0(category, "legacy") == 0) {
		g_assert_cmpint(package->format, ==, BDFU_PACKAGE_FORMAT_LEGACY);
	} else if (g_strcmp0(category, "prerelease") == 0) {
		/* the 2016-08 tools already wrote is_debug: nothing tells it from the released form
		 */
		if (strstr(folder, "customBL1") != NULL)
			g_assert_true(package->format == BDFU_PACKAGE_FORMAT_PRERELEASE ||
				      package->format == BDFU_PACKAGE_FORMAT_SECURE);
		else
			g_assert_cmpint(package->format, ==, BDFU_PACKAGE_FORMAT_PRERELEASE);
	} else {
		g_assert_cmpint(package->format,
				==,
				any_legacy ? BDFU_PACKAGE_FORMAT_LEGACY
					   : BDFU_PACKAGE_FORMAT_SECURE);
	}
}

static void
check_fixture_part(const cJSON *want, const BdfuPackagePart *got)
{
	g_autofree gchar *type_upper = NULL;
	const BdfuInitPacket *init = got->init;

	g_assert_cmpstr(got->bin_name, ==, json_str(want, "bin"));
	g_assert_cmpstr(got->dat_name, ==, json_str(want, "dat"));
	g_assert_cmpuint(g_bytes_get_size(got->bin), ==, json_int(want, "bin_len"));
	g_assert_cmpuint(g_bytes_get_size(got->dat), ==, json_int(want, "dat_len"));
	if (got->type == BDFU_PART_SOFTDEVICE_BOOTLOADER)
		g_assert_cmpuint((guint64)got->manifest_sd_size + got->manifest_bl_size,
				 ==,
				 g_bytes_get_size(got->bin));
	if (g_strcmp0(json_str(want, "format"), "protobuf") != 0) {
		g_assert_null(init);
		return;
	}
	g_assert_nonnull(init);
	type_upper = g_ascii_strup(bdfu_fw_type_to_string(init->type), -1);
	g_assert_cmpstr(type_upper, ==, json_str(want, "fw_type"));
	g_assert_cmpuint(init->fw_version, ==, json_int(want, "fw_version"));
	g_assert_cmpuint(init->hw_version, ==, json_int(want, "hw_version"));
	g_assert_cmpuint(init->sd_size, ==, json_int(want, "sd_size"));
	g_assert_cmpuint(init->bl_size, ==, json_int(want, "bl_size"));
	g_assert_cmpuint(init->app_size, ==, json_int(want, "app_size"));
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(want, "is_debug")))
		g_assert_false(init->has_is_debug);
	else
		g_assert_cmpint(init->is_debug,
				==,
				cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(want, "is_debug")));
	if (got->type == BDFU_PART_SOFTDEVICE_BOOTLOADER) {
		g_assert_cmpuint(got->manifest_sd_size, ==, init->sd_size);
		g_assert_cmpuint(got->manifest_bl_size, ==, init->bl_size);
	}
}

/* unreferenced entries (junk, extra .dat, __MACOSX) are warnings naming each one */
static void
check_fixture_warnings(const cJSON *entry, const BdfuPackage *package)
{
	const cJSON *name;
	guint expected = 0;

	cJSON_ArrayForEach(name, cJSON_GetObjectItemCaseSensitive(entry, "zip_entries"))
	{
		const gchar *s = cJSON_GetStringValue(name);
		gboolean referenced =
		    g_strcmp0(s, "manifest.json") == 0 || g_str_has_suffix(s, "/");
		gboolean warned = FALSE;
		for (guint i = 0; i < package->parts->len; i++) {
			const BdfuPackagePart *p = g_ptr_array_index(package->parts, i);
			referenced = referenced || g_strcmp0(p->bin_name, s) == 0 ||
				     g_strcmp0(p->dat_name, s) == 0;
		}
		if (referenced)
			continue;
		expected++;
		for (guint i = 0; i < package->warnings->len; i++) {
			g_autofree gchar *quoted = g_strdup_printf("'%s'", s);
			warned = warned || strstr(g_ptr_array_index(package->warnings, i), quoted);
		}
		g_assert_true(warned);
	}
	g_assert_cmpuint(package->warnings->len, ==, expected);
}

static void
check_fixture(const gchar *dir, const cJSON *entry)
{
	g_autofree gchar *path =
	    g_build_filename(dir, json_str(entry, "folder"), json_str(entry, "file"), NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuPackage) package = NULL;
	g_autofree gchar *digest_hex = NULL;
	const cJSON *want_parts = cJSON_GetObjectItemCaseSensitive(entry, "parts");
	const cJSON *want;
	guint n = 0;

	g_test_message("fixture %s", json_str(entry, "folder"));
	package = bdfu_package_new_from_file(path, NULL, &error);
	g_assert_no_error(error);
	check_expected_format(entry, package);

	/* flashing order whatever the JSON order, each part where fixtures.json says */
	g_assert_cmpuint(package->parts->len, ==, cJSON_GetArraySize(want_parts));
	for (guint i = 1; i < package->parts->len; i++) {
		const BdfuPackagePart *a = g_ptr_array_index(package->parts, i - 1);
		const BdfuPackagePart *b = g_ptr_array_index(package->parts, i);
		g_assert_cmpint(a->type, <, b->type);
	}
	cJSON_ArrayForEach(want, want_parts)
	{
		BdfuPartType type = part_type_from_string(json_str(want, "part"));
		for (guint i = 0; i < package->parts->len; i++) {
			const BdfuPackagePart *got = g_ptr_array_index(package->parts, i);
			if (got->type == type) {
				check_fixture_part(want, got);
				n++;
			}
		}
	}
	g_assert_cmpuint(n, ==, package->parts->len);
	check_fixture_warnings(entry, package);

	g_assert_cmpuint(g_bytes_get_size(package->digest), ==, 32);
	{
		GString *hex = g_string_new(NULL);
		const guint8 *d = g_bytes_get_data(package->digest, NULL);
		for (guint i = 0; i < 32; i++)
			g_string_append_printf(hex, "%02x", d[i]);
		digest_hex = g_string_free(hex, FALSE);
	}
	g_assert_cmpstr(digest_hex, ==, json_str(entry, "sha256"));
}

static void
test_fixtures_listed(void)
{
	const gchar *dir = fixtures_dir();
	g_autoptr(cJSON) root = NULL;
	const cJSON *entry;

	if (dir == NULL)
		return;
	root = fixtures_json(dir);
	cJSON_ArrayForEach(entry, root)
	{
		check_fixture(dir, entry);
	}
}

static BdfuPackage *
read_fixture(const gchar *dir, const gchar *rel)
{
	g_autofree gchar *path = g_build_filename(dir, rel, NULL);
	g_autoptr(GError) error = NULL;
	BdfuPackage *package = bdfu_package_new_from_file(path, NULL, &error);
	g_assert_no_error(error);
	return package;
}

static const BdfuPackagePart *
part_at(const BdfuPackage *package, guint i)
{
	g_assert_cmpuint(i, <, package->parts->len);
	return g_ptr_array_index(package->parts, i);
}

/* the odd packages of edge/, spelled out */
static void
test_fixtures_edge(void)
{
	const gchar *dir = fixtures_dir();
	g_autoptr(BdfuPackage) macosx = NULL;
	g_autoptr(BdfuPackage) extra = NULL;
	g_autoptr(BdfuPackage) mixed = NULL;
	g_autoptr(BdfuPackage) swapped = NULL;
	g_autoptr(BdfuPackage) misnamed = NULL;

	if (dir == NULL)
		return;
	/* bootloader + application, re-zipped on macOS: AppleDouble junk is only noted */
	macosx = read_fixture(dir,
			      "edge/wbdfu_bootloader_plus_app_with___MACOSX/"
			      "bootloader_secure_ble_app_buttonless_dfu_s132.zip");
	g_assert_cmpint(macosx->format, ==, BDFU_PACKAGE_FORMAT_SECURE);
	g_assert_cmpint(part_at(macosx, 0)->type, ==, BDFU_PART_BOOTLOADER);
	g_assert_cmpint(part_at(macosx, 1)->type, ==, BDFU_PART_APPLICATION);
	g_assert_cmpuint(macosx->warnings->len, ==, 5);
	for (guint i = 0; i < macosx->warnings->len; i++)
		g_assert_nonnull(strstr(g_ptr_array_index(macosx->warnings, i), "'__MACOSX/._"));

	/* an unreferenced app_old.dat next to the referenced app.dat */
	extra =
	    read_fixture(dir, "edge/ios_nrf51422_sdk5.2_app_extra_dat/nrf51422_sdk_5.2_app.zip");
	g_assert_cmpint(extra->format, ==, BDFU_PACKAGE_FORMAT_LEGACY);
	g_assert_cmpstr(part_at(extra, 0)->dat_name, ==, "app.dat");
	g_assert_cmpuint(extra->warnings->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(extra->warnings, 0), "'app_old.dat'"));

	/* 2-byte and 14-byte legacy .dat in one zip */
	mixed = read_fixture(dir,
			     "edge/ios_nrf51422_sdk6.1_all_in_one_mixed_dat/"
			     "nrf51422_sdk_6.1_all_in_one.zip");
	g_assert_cmpint(mixed->format, ==, BDFU_PACKAGE_FORMAT_LEGACY);
	g_assert_cmpint(part_at(mixed, 0)->type, ==, BDFU_PART_SOFTDEVICE_BOOTLOADER);
	g_assert_cmpuint(g_bytes_get_size(part_at(mixed, 0)->dat), ==, 14);
	g_assert_cmpuint(g_bytes_get_size(part_at(mixed, 1)->dat), ==, 2);
	g_assert_null(part_at(mixed, 0)->init);

	/* adafruit beta: device fields swapped, still a legacy SD+BL with inline sizes */
	swapped = read_fixture(dir,
			       "edge/adafruit_beta_feather52840_swapped_device_fields/"
			       "feather52840_bootloader_s140_6.1.0r0.zip");
	g_assert_cmpint(swapped->format, ==, BDFU_PACKAGE_FORMAT_LEGACY);
	g_assert_cmpuint(swapped->parts->len, ==, 1);
	g_assert_cmpuint(part_at(swapped, 0)->manifest_sd_size, ==, 151164);
	g_assert_cmpuint(part_at(swapped, 0)->manifest_bl_size, ==, 25468);

	/* the manifest key decides the type, not the file name */
	misnamed = read_fixture(dir,
				"edge/ios2016_hrs_dfu_misnamed_application/"
				"hrs_dfu_s132_2_0_0_7a_sdk_11_0_0_2a.zip");
	g_assert_cmpint(part_at(misnamed, 1)->type, ==, BDFU_PART_APPLICATION);
	g_assert_cmpstr(
	    part_at(misnamed, 1)->bin_name, ==, "s132_nrf52_1.0.0-3.alpha_softdevice.bin");
}

static void
test_utf8_names(void)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = make_image(1000, 20);
	g_autoptr(GBytes) dat = make_init(BDFU_PART_APPLICATION, bin, 0, 0);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;

	bdfu_package_writer_add(writer,
				BDFU_PART_APPLICATION,
				"\xc3\xa4pp \"q\" \xf0\x9f\x98\x80.bin",
				bin,
				"\xc3\xa4pp.dat",
				dat,
				0,
				0);
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpstr(part_at(package, 0)->bin_name, ==, "\xc3\xa4pp \"q\" \xf0\x9f\x98\x80.bin");
	g_assert_cmpuint(package->warnings->len, ==, 0);
}

static void
collect_files(const gchar *dir, const gchar *suffix, GPtrArray *out)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *name;
	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			collect_files(path, suffix, out);
		else if (g_str_has_suffix(name, suffix))
			g_ptr_array_add(out, g_steal_pointer(&path));
	}
}

/* every zip in the folder, listed in fixtures.json or not (the seed packages), is read */
static void
test_fixtures_every_zip(void)
{
	const gchar *dir = fixtures_dir();
	g_autoptr(GPtrArray) zips = g_ptr_array_new_with_free_func(g_free);

	if (dir == NULL)
		return;
	collect_files(dir, ".zip", zips);
	g_assert_cmpuint(zips->len, >=, 56);
	for (guint i = 0; i < zips->len; i++) {
		const gchar *path = g_ptr_array_index(zips, i);
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuPackage) package = bdfu_package_new_from_file(path, NULL, &error);
		if (package == NULL)
			g_error("%s: %s", path, error->message);
		g_assert_cmpuint(package->parts->len, >, 0);
		for (guint j = 0; j < package->parts->len; j++) {
			const BdfuPackagePart *part = g_ptr_array_index(package->parts, j);
			g_assert_nonnull(part->bin);
			g_assert_nonnull(part->dat);
			g_assert_true((part->init == NULL) ==
				      (package->format == BDFU_PACKAGE_FORMAT_LEGACY));
			if (part->init != NULL)
				g_assert_cmpuint(bdfu_init_packet_get_image_size(part->init),
						 ==,
						 g_bytes_get_size(part->bin));
		}
	}
}

static gchar *
read_manifest(zip_t *za, gsize *len)
{
	gchar *buf = g_malloc0(4096);
	zip_file_t *f = zip_fopen(za, "manifest.json", 0);
	zip_int64_t n;

	g_assert_nonnull(f);
	n = zip_fread(f, buf, 4095);
	g_assert_cmpint(n, >, 0);
	zip_fclose(f);
	*len = (gsize)n;
	return buf;
}

/* our manifest against the one nrfutil wrote for the same names (\r\n when made on Windows) */
static void
check_manifest_like(const gchar *dir,
		    const gchar *fixture,
		    const gchar *bin_name,
		    const gchar *dat_name)
{
	g_autofree gchar *path = g_build_filename(dir, fixture, NULL);
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = make_image(64, 0);
	g_autoptr(GBytes) dat = make_image(8, 0);
	g_autoptr(GBytes) zip = NULL;
	g_autofree gchar *ours_text = NULL;
	g_autofree gchar *theirs_text = NULL;
	g_autoptr(GString) theirs_lf = g_string_new(NULL);
	gsize ours_len = 0, theirs_len = 0;
	zip_source_t *src;
	zip_t *ours, *theirs;
	zip_error_t zerr;

	bdfu_package_writer_add(writer, BDFU_PART_APPLICATION, bin_name, bin, dat_name, dat, 0, 0);
	zip = finish(writer);
	zip_error_init(&zerr);
	src =
	    zip_source_buffer_create(g_bytes_get_data(zip, NULL), g_bytes_get_size(zip), 0, &zerr);
	ours = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	g_assert_nonnull(ours);
	theirs = zip_open(path, ZIP_RDONLY, NULL);
	g_assert_nonnull(theirs);
	ours_text = read_manifest(ours, &ours_len);
	theirs_text = read_manifest(theirs, &theirs_len);
	for (gsize i = 0; i < theirs_len; i++) {
		if (theirs_text[i] != '\r')
			g_string_append_c(theirs_lf, theirs_text[i]);
	}
	g_assert_cmpmem(ours_text, ours_len, theirs_lf->str, theirs_lf->len);
	zip_discard(ours);
	zip_discard(theirs);
	zip_error_fini(&zerr);
}

/* our writer's manifest is byte for byte what nrfutil writes (on Linux: \n line ends) */
static void
test_writer_matches_nrfutil(void)
{
	const gchar *dir = fixtures_dir();
	if (dir == NULL)
		return;
	check_manifest_like(dir,
			    "unsigned/pcnrfdfujs_blinky_pca10059_mbr/blinky_s140.zip",
			    "2017-12-12-dongle-blinky_pca10059_mbr.bin",
			    "2017-12-12-dongle-blinky_pca10059_mbr.dat");
	check_manifest_like(dir,
			    "unsigned/pcnrfutil_test_package/test_package.zip",
			    "dfu_test_app_hrm_s130.bin",
			    "dfu_test_app_hrm_s130.dat");
}

/* ---- writer round trips ----------------------------------------------------------------- */

static void
test_roundtrip_three_part(void)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) sdbl = make_image(12000 + 3000, 2);
	g_autoptr(GBytes) sdbl_dat = make_init(BDFU_PART_SOFTDEVICE_BOOTLOADER, sdbl, 12000, 3000);
	g_autoptr(GBytes) app = make_image(5000, 3);
	g_autoptr(GBytes) app_dat = make_init(BDFU_PART_APPLICATION, app, 0, 0);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;
	BdfuPackagePart *p0, *p1;

	/* added application first: the reader still flashes SD+BL first */
	bdfu_package_writer_add(
	    writer, BDFU_PART_APPLICATION, "app.bin", app, "app.dat", app_dat, 0, 0);
	bdfu_package_writer_add(writer,
				BDFU_PART_SOFTDEVICE_BOOTLOADER,
				"sd_bl.bin",
				sdbl,
				"sd_bl.dat",
				sdbl_dat,
				12000,
				3000);
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpint(package->format, ==, BDFU_PACKAGE_FORMAT_SECURE);
	g_assert_cmpuint(package->parts->len, ==, 2);
	g_assert_cmpuint(package->warnings->len, ==, 0);
	p0 = g_ptr_array_index(package->parts, 0);
	p1 = g_ptr_array_index(package->parts, 1);
	g_assert_cmpint(p0->type, ==, BDFU_PART_SOFTDEVICE_BOOTLOADER);
	g_assert_cmpstr(p0->bin_name, ==, "sd_bl.bin");
	g_assert_cmpstr(p0->dat_name, ==, "sd_bl.dat");
	g_assert_true(g_bytes_equal(p0->bin, sdbl));
	g_assert_true(g_bytes_equal(p0->dat, sdbl_dat));
	g_assert_cmpuint(p0->manifest_sd_size, ==, 12000);
	g_assert_cmpuint(p0->manifest_bl_size, ==, 3000);
	g_assert_cmpuint(p0->init->sd_size, ==, 12000);
	g_assert_cmpint(p1->type, ==, BDFU_PART_APPLICATION);
	g_assert_true(g_bytes_equal(p1->bin, app));
	g_assert_cmpuint(p1->init->app_size, ==, 5000);
	g_assert_cmpuint(p1->manifest_sd_size, ==, 0);
	g_assert_cmpuint(g_bytes_get_size(package->digest), ==, 32);
}

static void
test_roundtrip_each_type(void)
{
	for (guint t = 0; t <= BDFU_PART_APPLICATION; t++) {
		g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
		g_autoptr(GBytes) bin = make_image(8192, (guint8)t);
		g_autoptr(GBytes) dat = make_init((BdfuPartType)t, bin, 4096, 4096);
		g_autoptr(GBytes) zip = NULL;
		g_autoptr(BdfuPackage) package = NULL;
		BdfuPackagePart *part;

		bdfu_package_writer_add(writer,
					(BdfuPartType)t,
					"x.bin",
					bin,
					"x.dat",
					dat,
					t == BDFU_PART_SOFTDEVICE_BOOTLOADER ? 4096 : 0,
					t == BDFU_PART_SOFTDEVICE_BOOTLOADER ? 4096 : 0);
		zip = finish(writer);
		package = read_ok(zip);
		g_assert_cmpuint(package->parts->len, ==, 1);
		part = g_ptr_array_index(package->parts, 0);
		g_assert_cmpint(part->type, ==, t);
		g_assert_cmpuint(part->init->type, ==, fw_type_of((BdfuPartType)t));
	}
}

static void
test_manifest_order_ignored(void)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bl = make_image(3000, 4);
	g_autoptr(GBytes) bl_dat = make_init(BDFU_PART_BOOTLOADER, bl, 0, 0);
	g_autoptr(GBytes) app = make_image(2000, 5);
	g_autoptr(GBytes) app_dat = make_init(BDFU_PART_APPLICATION, app, 0, 0);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;

	bdfu_package_writer_add_raw(writer, "a.bin", app);
	bdfu_package_writer_add_raw(writer, "a.dat", app_dat);
	bdfu_package_writer_add_raw(writer, "b.bin", bl);
	bdfu_package_writer_add_raw(writer, "b.dat", bl_dat);
	bdfu_package_writer_set_manifest(
	    writer,
	    "{\"manifest\": {\"application\": {\"bin_file\": \"a.bin\", "
	    "\"dat_file\": \"a.dat\"}, \"bootloader\": {\"bin_file\": "
	    "\"b.bin\", \"dat_file\": \"b.dat\"}}}");
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpuint(package->parts->len, ==, 2);
	g_assert_cmpint(((BdfuPackagePart *)g_ptr_array_index(package->parts, 0))->type,
			==,
			BDFU_PART_BOOTLOADER);
	g_assert_cmpint(((BdfuPackagePart *)g_ptr_array_index(package->parts, 1))->type,
			==,
			BDFU_PART_APPLICATION);
}

static void
test_junk_entries_warn(void)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) junk = make_image(200, 9);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;

	bdfu_package_writer_add_raw(writer, "__MACOSX/._app.dat", junk);
	bdfu_package_writer_add_raw(writer, "app_old.dat", junk);
	/* never extracted, so a hostile name that the manifest does not use is only noted */
	bdfu_package_writer_add_raw(writer, "../outside", junk);
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpuint(package->parts->len, ==, 1);
	g_assert_cmpuint(package->warnings->len, ==, 3);
	g_assert_nonnull(strstr(g_ptr_array_index(package->warnings, 0), "'__MACOSX/._app.dat'"));
	g_assert_nonnull(strstr(g_ptr_array_index(package->warnings, 0), "not named by manifest"));
	g_assert_nonnull(strstr(g_ptr_array_index(package->warnings, 1), "'app_old.dat'"));
}

static void
test_deflated_with_libzip(void)
{
	g_autoptr(GBytes) bin = make_image(20000, 6);
	g_autoptr(GBytes) dat = make_init(BDFU_PART_APPLICATION, bin, 0, 0);
	g_autoptr(GBytes) manifest = g_bytes_new_static(
	    "{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", \"dat_file\": "
	    "\"app.dat\"}}}",
	    strlen("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", \"dat_file\": "
		   "\"app.dat\"}}}"));
	RawEntry entries[] = {
	    {"manifest.json", manifest, TRUE},
	    {"app.bin", bin, TRUE},
	    {"app.dat", dat, TRUE},
	};
	g_autoptr(GBytes) zip = libzip_make(entries, G_N_ELEMENTS(entries));
	g_autoptr(BdfuPackage) package = read_ok(zip);
	g_assert_true(
	    g_bytes_equal(((BdfuPackagePart *)g_ptr_array_index(package->parts, 0))->bin, bin));
}

/* ---- formats ---------------------------------------------------------------------------- */

static void
test_prerelease_no_is_debug(void)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = make_image(4096, 7);
	InitOpts o = {.no_is_debug = TRUE, .size_override = -1, .type_override = -1};
	g_autoptr(GBytes) dat = make_init_full(BDFU_PART_APPLICATION, bin, 0, 0, &o);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;

	bdfu_package_writer_add(
	    writer, BDFU_PART_APPLICATION, "app.bin", bin, "app.dat", dat, 0, 0);
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpint(package->format, ==, BDFU_PACKAGE_FORMAT_PRERELEASE);
	g_assert_cmpstr(bdfu_package_format_to_string(package->format), ==, "prerelease");
}

static void
test_prerelease_big_endian_hash(void)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = make_image(4096, 8);
	InitOpts o = {.big_endian_hash = TRUE, .size_override = -1, .type_override = -1};
	g_autoptr(GBytes) dat = make_init_full(BDFU_PART_SOFTDEVICE, bin, 0, 0, &o);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;

	bdfu_package_writer_add(writer, BDFU_PART_SOFTDEVICE, "sd.bin", bin, "sd.dat", dat, 0, 0);
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpint(package->format, ==, BDFU_PACKAGE_FORMAT_PRERELEASE);
}

/* 2016 manifests put sd_size/bl_size directly in softdevice_bootloader */
static void
test_prerelease_inline_sizes(void)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = make_image(6000, 9);
	g_autoptr(GBytes) dat = make_init(BDFU_PART_SOFTDEVICE_BOOTLOADER, bin, 4000, 2000);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;
	BdfuPackagePart *part;

	bdfu_package_writer_add_raw(writer, "sd_bl.bin", bin);
	bdfu_package_writer_add_raw(writer, "sd_bl.dat", dat);
	bdfu_package_writer_set_manifest(
	    writer,
	    "{\"manifest\": {\"softdevice_bootloader\": {\"bin_file\": "
	    "\"sd_bl.bin\", \"bl_size\": 2000, \"dat_file\": "
	    "\"sd_bl.dat\", \"sd_size\": 4000}}}");
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpint(package->format, ==, BDFU_PACKAGE_FORMAT_PRERELEASE);
	part = g_ptr_array_index(package->parts, 0);
	g_assert_cmpuint(part->manifest_sd_size, ==, 4000);
	g_assert_cmpuint(part->manifest_bl_size, ==, 2000);
}

static void
test_legacy(void)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = make_image(4096, 10);
	g_autoptr(GBytes) sdbl = make_image(9000, 11);
	g_autoptr(GBytes) dat =
	    g_bytes_new_static("\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\xfe\xff\x34\x12", 14);
	g_autoptr(GBytes) dat2 = g_bytes_new_static("\x34\x12", 2);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;
	BdfuPackagePart *p0, *p1;

	bdfu_package_writer_add_raw(writer, "app.bin", bin);
	bdfu_package_writer_add_raw(writer, "app.dat", dat);
	bdfu_package_writer_add_raw(writer, "sd_bl.bin", sdbl);
	bdfu_package_writer_add_raw(writer, "sd_bl.dat", dat2);
	bdfu_package_writer_set_manifest(
	    writer,
	    "{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", \"dat_file\": "
	    "\"app.dat\", \"init_packet_data\": {\"device_type\": 65535}}, \"dfu_version\": 0.5, "
	    "\"softdevice_bootloader\": {\"bin_file\": \"sd_bl.bin\", \"bl_size\": 1000, "
	    "\"dat_file\": \"sd_bl.dat\", \"sd_size\": 8000}}}");
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpint(package->format, ==, BDFU_PACKAGE_FORMAT_LEGACY);
	g_assert_cmpstr(bdfu_package_format_to_string(package->format), ==, "legacy");
	g_assert_cmpuint(package->parts->len, ==, 2);
	p0 = g_ptr_array_index(package->parts, 0);
	p1 = g_ptr_array_index(package->parts, 1);
	g_assert_cmpint(p0->type, ==, BDFU_PART_SOFTDEVICE_BOOTLOADER);
	g_assert_null(p0->init);
	g_assert_cmpuint(p0->manifest_sd_size, ==, 8000);
	g_assert_cmpint(p1->type, ==, BDFU_PART_APPLICATION);
	g_assert_null(p1->init);
	g_assert_true(g_bytes_equal(p1->dat, dat));
}

/* ---- hostile input ---------------------------------------------------------------------- */

static void
test_bad_not_a_zip(void)
{
	g_autoptr(GBytes) junk = g_bytes_new_static("this is not a zip file at all", 29);
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	assert_bad(junk, "not a valid zip archive");
	assert_bad(empty, "not a valid zip archive");
}

static void
test_bad_truncated(void)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) zip = finish(writer);
	gsize len = g_bytes_get_size(zip);
	for (gsize cut = 1; cut < len; cut += len / 9) {
		g_autoptr(GBytes) part = g_bytes_new_from_bytes(zip, 0, cut);
		assert_bad(part, "zip");
	}
}

/* a flipped byte inside app.bin fails its CRC */
static void
test_bad_crc(void)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) zip = finish(writer);
	gsize len = 0;
	guint8 *copy = g_bytes_unref_to_data(g_bytes_ref(zip), &len);
	g_autoptr(GBytes) bad = NULL;
	guint8 *hit = find_bytes(copy, len, "app.bin");
	g_assert_nonnull(hit);
	hit[7 + 100] ^= 0x55; /* the local header name is followed by the data */
	bad = g_bytes_new_take(copy, len);
	assert_bad(bad, "'app.bin' (the application image) is corrupt");
}

/* the sizes in the headers lie: reading stops at the declared size */
static void
test_bad_more_than_declared(void)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) zip = finish(writer);
	gsize len = 0;
	guint8 *copy = g_bytes_unref_to_data(g_bytes_ref(zip), &len);
	g_autoptr(GBytes) bad = NULL;

	/* uncompressed size fields (local at +22, central at +24) of app.bin: 4096 → 4000 */
	for (gsize i = 0; i + 30 < len; i++) {
		guint32 sig =
		    copy[i] | copy[i + 1] << 8 | copy[i + 2] << 16 | (guint32)copy[i + 3] << 24;
		if (sig == 0x04034b50 && memcmp(copy + i + 30, "app.bin", 7) == 0) {
			copy[i + 22] = 4000 & 0xFF;
			copy[i + 23] = 4000 >> 8;
		}
		if (sig == 0x02014b50 && i + 46 + 7 <= len &&
		    memcmp(copy + i + 46, "app.bin", 7) == 0) {
			copy[i + 24] = 4000 & 0xFF;
			copy[i + 25] = 4000 >> 8;
		}
	}
	bad = g_bytes_new_take(copy, len);
	assert_bad(bad,
		   "'app.bin' (the application image) holds more bytes than the 4000 its zip "
		   "header declares");
}

static void
test_bad_limits(void)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) zip = finish(writer);
	BdfuPackageLimits limits;

	bdfu_package_limits_init(&limits);
	limits.max_zip_size = 1000;
	assert_bad_with(zip, &limits, "over the 1000-byte limit");

	bdfu_package_limits_init(&limits);
	limits.max_entries = 2;
	assert_bad_with(zip, &limits, "3 entries, over the limit of 2");

	bdfu_package_limits_init(&limits);
	limits.max_manifest_size = 50;
	assert_bad_with(zip, &limits, "'manifest.json' (the manifest) is");

	bdfu_package_limits_init(&limits);
	limits.max_image_size = 4095;
	assert_bad_with(zip, &limits, "'app.bin' (the application image) is 4096 bytes, over");
}

static void
test_bad_too_many_entries(void)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) junk = g_bytes_new_static("x", 1);
	g_autoptr(GBytes) zip = NULL;
	for (guint i = 0; i < 62; i++) {
		g_autofree gchar *name = g_strdup_printf("junk%u", i);
		bdfu_package_writer_add_raw(writer, name, junk);
	}
	zip = finish(writer);
	assert_bad(zip, "65 entries, over the limit of 64");
}

static void
test_bad_oversize_entries(void)
{
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) big = make_image(1024 * 1024 + 4, 12);
	g_autoptr(GBytes) dat = make_init(BDFU_PART_APPLICATION, big, 0, 0);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackageWriter) writer2 = bdfu_package_writer_new();
	g_autoptr(GBytes) bin = make_image(100, 13);
	g_autoptr(GBytes) fat_dat = make_image(600, 14);
	g_autoptr(GBytes) zip2 = NULL;
	g_autoptr(BdfuPackageWriter) writer3 = writer_with_app();
	g_autoptr(GString) huge = g_string_new("{\"manifest\": {}, \"pad\": \"");
	g_autoptr(GBytes) zip3 = NULL;

	bdfu_package_writer_add(
	    writer, BDFU_PART_APPLICATION, "big.bin", big, "big.dat", dat, 0, 0);
	zip = finish(writer);
	assert_bad(zip, "'big.bin' (the application image) is 1048580 bytes, over the 1 MiB limit");

	bdfu_package_writer_add(
	    writer2, BDFU_PART_APPLICATION, "a.bin", bin, "a.dat", fat_dat, 0, 0);
	zip2 = finish(writer2);
	assert_bad(zip2,
		   "'a.dat' (the application init packet) is 600 bytes, over the 512-byte limit");

	for (guint i = 0; i < 70 * 1024; i++)
		g_string_append_c(huge, 'a');
	g_string_append(huge, "\"}");
	bdfu_package_writer_set_manifest(writer3, huge->str);
	zip3 = finish(writer3);
	assert_bad(zip3, "'manifest.json' (the manifest) is 71707 bytes, over the 64 KiB limit");
}

static void
test_bad_zip_bomb(void)
{
	g_autoptr(GBytes) zeros = g_bytes_new_take(g_malloc0(1000 * 1000), 1000 * 1000);
	g_autoptr(GBytes) dat = make_init(BDFU_PART_APPLICATION, zeros, 0, 0);
	g_autoptr(GBytes) manifest = g_bytes_new_static(
	    "{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", \"dat_file\": "
	    "\"app.dat\"}}}",
	    strlen("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", \"dat_file\": "
		   "\"app.dat\"}}}"));
	RawEntry entries[] = {
	    {"manifest.json", manifest, FALSE},
	    {"app.bin", zeros, TRUE},
	    {"app.dat", dat, FALSE},
	};
	g_autoptr(GBytes) zip = libzip_make(entries, G_N_ELEMENTS(entries));
	assert_bad(zip, "zip bomb");
}

static void
test_bad_duplicates(void)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(BdfuPackageWriter) writer2 = writer_with_app();
	g_autoptr(GBytes) other = make_image(4096, 15);
	g_autoptr(GBytes) manifest = g_bytes_new_static("{}", 2);
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(GBytes) zip2 = NULL;

	bdfu_package_writer_add_raw(writer, "app.bin", other);
	zip = finish(writer);
	assert_bad(zip, "two entries named 'app.bin' (duplicate)");

	bdfu_package_writer_add_raw(writer2, "manifest.json", manifest);
	zip2 = finish(writer2);
	assert_bad(zip2, "two entries named 'manifest.json' (duplicate)");
}

static void
test_bad_names(void)
{
	const gchar *names[] = {"../app.bin", "/app.bin", "dir\\app.bin", "dir/app.bin", "a..bin"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(BdfuPackageWriter) writer = writer_with_app();
		g_autoptr(GBytes) bin = make_image(4096, 1);
		g_autoptr(GBytes) zip = NULL;
		g_autofree gchar *json = NULL;
		g_autofree gchar *escaped = g_strescape(names[i], NULL);
		g_autofree gchar *phrase = g_strdup_printf("manifest.json names '%s'", escaped);

		bdfu_package_writer_add_raw(writer, names[i], bin);
		json = g_strdup_printf("{\"manifest\": {\"application\": {\"bin_file\": \"%s\", "
				       "\"dat_file\": \"app.dat\"}}}",
				       escaped);
		bdfu_package_writer_set_manifest(writer, json);
		zip = finish(writer);
		assert_bad(zip, phrase);
		assert_bad(zip, "plain file names");
	}
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"a\\u0001.bin\", "
			    "\"dat_file\": \"app.dat\"}}}",
			    "control characters");
}

static void
test_bad_missing(void)
{
	g_autoptr(GBytes) bin = make_image(100, 1);
	g_autoptr(GBytes) dat = make_init(BDFU_PART_APPLICATION, bin, 0, 0);
	RawEntry entries[] = {{"app.bin", bin, FALSE}, {"app.dat", dat, FALSE}};
	g_autoptr(GBytes) zip = libzip_make(entries, G_N_ELEMENTS(entries));

	assert_bad(zip, "no manifest.json");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"nope.bin\", "
			    "\"dat_file\": \"app.dat\"}}}",
			    "'nope.bin' (the application image) is named by manifest.json but "
			    "missing from the zip");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
			    "\"dat_file\": \"nope.dat\"}}}",
			    "'nope.dat' (the application init packet) is named by manifest.json");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"dat_file\": \"app.dat\"}}}",
			    "the application has no 'bin_file'");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": 5, "
			    "\"dat_file\": \"app.dat\"}}}",
			    "the application has no 'bin_file'");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\"}}}",
			    "the application has no 'dat_file'");
}

static void
test_bad_manifest_text(void)
{
	g_autoptr(GString) deep = g_string_new("{\"manifest\": ");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"\xff\xfe\"}}}",
			    "not valid UTF-8");
	assert_bad_manifest("[1, 2]", "not a JSON object");
	assert_bad_manifest("\"manifest\"", "not a JSON object");
	assert_bad_manifest("{\"manifest\": [1]}", "no \"manifest\" object");
	assert_bad_manifest("{\"other\": {}}", "no \"manifest\" object");
	assert_bad_manifest("{\"manifest\": {\"application\": ", "not valid JSON");
	assert_bad_manifest("", "not valid JSON");
	assert_bad_manifest("{\"manifest\": {}} {\"x\": 1}", "data after its JSON value");
	assert_bad_manifest("{\"manifest\": {}}", "lists no firmware image");
	for (guint i = 0; i < 5000; i++)
		g_string_append_c(deep, '[');
	assert_bad_manifest(deep->str, "nests deeper than 16 levels");
	assert_bad_manifest("[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]", "nests deeper than 16 levels");
}

static void
test_bad_manifest_content(void)
{
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
			    "\"dat_file\": \"app.dat\"}, \"application\": {\"bin_file\": "
			    "\"app.bin\", \"dat_file\": \"app.dat\"}}}",
			    "has the key 'application' twice in one object");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
			    "\"bin_file\": \"other.bin\", \"dat_file\": \"app.dat\"}}}",
			    "has the key 'bin_file' twice in one object");
	assert_bad_manifest("{\"manifest\": {}, \"manifest\": {\"application\": {}}}",
			    "has the key 'manifest' twice in one object");
	assert_bad_manifest("{\"manifest\": {\"softdevice_application\": {\"bin_file\": "
			    "\"app.bin\", \"dat_file\": \"app.dat\"}}}",
			    "lists a 'softdevice_application' image");
	assert_bad_manifest("{\"manifest\": {\"application\": \"app.bin\"}}",
			    "'application' is not an object");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
			    "\"dat_file\": \"app.bin\"}}}",
			    "names 'app.bin' more than once");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
			    "\"dat_file\": \"app.dat\"}, \"bootloader\": {\"bin_file\": "
			    "\"app.bin\", \"dat_file\": \"x.dat\"}}}",
			    "names 'app.bin' more than once");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
			    "\"dat_file\": \"app.dat\", \"info_read_only_metadata\": "
			    "{\"sd_size\": -1}}}}",
			    "'sd_size' of the application must be a whole number");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
			    "\"dat_file\": \"app.dat\", \"bl_size\": 1.5}}}",
			    "'bl_size' of the application must be a whole number");
	assert_bad_manifest("{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
			    "\"dat_file\": \"app.dat\", \"bl_size\": \"4096\"}}}",
			    "'bl_size' of the application must be a whole number");
}

static void
test_unknown_keys_warn(void)
{
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(BdfuPackage) package = NULL;

	bdfu_package_writer_set_manifest(
	    writer,
	    "{\"manifest\": {\"application\": {\"bin_file\": \"app.bin\", "
	    "\"dat_file\": \"app.dat\"}, \"comment\": \"hi\"}, "
	    "\"tool\": 1}");
	zip = finish(writer);
	package = read_ok(zip);
	g_assert_cmpuint(package->warnings->len, ==, 2);
	g_assert_nonnull(strstr(g_ptr_array_index(package->warnings, 0), "'tool'"));
	g_assert_nonnull(strstr(g_ptr_array_index(package->warnings, 1), "'comment'"));
}

static void
test_bad_sizes(void)
{
	g_autoptr(GBytes) bin = make_image(4096, 1);
	InitOpts o = {.size_override = 8192, .type_override = -1};
	g_autoptr(GBytes) dat = make_init_full(BDFU_PART_APPLICATION, bin, 0, 0, &o);
	g_autoptr(GBytes) sdbl = make_image(6000, 2);
	g_autoptr(GBytes) sdbl_dat = make_init(BDFU_PART_SOFTDEVICE_BOOTLOADER, sdbl, 4000, 2000);
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	g_autoptr(GBytes) empty_dat = make_init(BDFU_PART_APPLICATION, empty, 0, 0);

	/* the init packet disagrees with the image */
	{
		g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
		g_autoptr(GBytes) zip = NULL;
		bdfu_package_writer_add(
		    writer, BDFU_PART_APPLICATION, "app.bin", bin, "app.dat", dat, 0, 0);
		zip = finish(writer);
		assert_bad(zip,
			   "'app.bin' (the application image) is 4096 bytes, but its init packet "
			   "'app.dat' declares 8192 bytes");
	}
	/* the manifest sizes disagree with the image */
	{
		g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
		g_autoptr(GBytes) zip = NULL;
		bdfu_package_writer_add(writer,
					BDFU_PART_SOFTDEVICE_BOOTLOADER,
					"sd_bl.bin",
					sdbl,
					"sd_bl.dat",
					sdbl_dat,
					4000,
					3000);
		zip = finish(writer);
		assert_bad(zip,
			   "sd_size 4000 + bl_size 3000 = 7000 bytes, but 'sd_bl.bin' is 6000");
	}
	/* ... or with the init packet */
	{
		g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
		g_autoptr(GBytes) zip = NULL;
		bdfu_package_writer_add(writer,
					BDFU_PART_SOFTDEVICE_BOOTLOADER,
					"sd_bl.bin",
					sdbl,
					"sd_bl.dat",
					sdbl_dat,
					5000,
					1000);
		zip = finish(writer);
		assert_bad(zip,
			   "gives the softdevice_bootloader sd_size 5000 and bl_size 1000, but its "
			   "init packet 'sd_bl.dat' says sd_size 4000 and bl_size 2000");
	}
	/* an empty image */
	{
		g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
		g_autoptr(GBytes) zip = NULL;
		bdfu_package_writer_add(
		    writer, BDFU_PART_APPLICATION, "app.bin", empty, "app.dat", empty_dat, 0, 0);
		zip = finish(writer);
		assert_bad(zip, "'app.bin' (the application image) is empty");
	}
}

static void
test_bad_init_packets(void)
{
	g_autoptr(GBytes) bin = make_image(4096, 1);
	InitOpts o = {.size_override = -1, .type_override = BDFU_FW_TYPE_SOFTDEVICE};
	g_autoptr(GBytes) sd_dat = make_init_full(BDFU_PART_APPLICATION, bin, 0, 0, &o);
	g_autoptr(GBytes) junk = g_bytes_new_static("\x12\xff\xff\xff\xff\x0f\x00\x00\x00\x00", 10);
	g_autoptr(GBytes) legacy =
	    g_bytes_new_static("\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\xfe\xff\x34\x12", 14);
	struct {
		GBytes *dat;
		const gchar *phrase;
	} cases[] = {
	    {sd_dat,
	     "lists 'app.bin' as the application, but its init packet 'app.dat' is for a "
	     "softdevice"},
	    {junk, "'app.dat' (the application init packet): "},
	    {legacy,
	     "is not a Secure DFU init packet (a legacy SDK <= 11 package needs dfu_version"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
		g_autoptr(GBytes) zip = NULL;
		bdfu_package_writer_add(
		    writer, BDFU_PART_APPLICATION, "app.bin", bin, "app.dat", cases[i].dat, 0, 0);
		zip = finish(writer);
		assert_bad(zip, cases[i].phrase);
	}
}

static void
test_from_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuPackage) package = NULL;
	g_autoptr(BdfuPackageWriter) writer = writer_with_app();
	g_autoptr(GBytes) zip = finish(writer);
	g_autofree gchar *path = NULL;
	gint fd = g_file_open_tmp("bdfu-test-XXXXXX.zip", &path, &error);

	g_assert_no_error(error);
	close(fd);
	package = bdfu_package_new_from_file("/nonexistent/x.zip", NULL, &error);
	g_assert_null(package);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "/nonexistent/x.zip"));
	g_clear_error(&error);

	g_file_set_contents(
	    path, g_bytes_get_data(zip, NULL), (gssize)g_bytes_get_size(zip), &error);
	g_assert_no_error(error);
	package = bdfu_package_new_from_file(path, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(package->parts->len, ==, 1);
	g_unlink(path);
}

/* the fuzz seeds (made with Python's zipfile, not our writer) are valid packages */
static void
test_fuzz_seeds(void)
{
	const gchar *root = g_getenv("BDFU_SOURCE_ROOT");
	g_autofree gchar *dir = NULL;
	g_autoptr(GPtrArray) zips = g_ptr_array_new_with_free_func(g_free);
	const BdfuPackageFormat formats[] = {
	    BDFU_PACKAGE_FORMAT_SECURE, BDFU_PACKAGE_FORMAT_LEGACY, BDFU_PACKAGE_FORMAT_PRERELEASE};

	if (root == NULL) {
		g_test_skip("BDFU_SOURCE_ROOT not set");
		return;
	}
	dir = g_build_filename(root, "tests", "fuzz", "corpus", "package", NULL);
	/* named .seed: only ../shared/fixtures holds files named .zip */
	collect_files(dir, ".seed", zips);
	g_assert_cmpuint(zips->len, >=, 5);
	for (guint i = 0; i < zips->len; i++) {
		const gchar *path = g_ptr_array_index(zips, i);
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuPackage) package = bdfu_package_new_from_file(path, NULL, &error);
		g_autofree gchar *base = g_path_get_basename(path);
		BdfuPackageFormat want = g_str_has_prefix(base, "legacy")	? formats[1]
					 : g_str_has_prefix(base, "prerelease") ? formats[2]
										: formats[0];
		g_assert_no_error(error);
		g_assert_cmpint(package->format, ==, want);
		g_assert_cmpuint(
		    package->warnings->len, ==, g_str_has_prefix(base, "macosx") ? 1 : 0);
	}
}

static void
test_strings(void)
{
	g_assert_cmpstr(
	    bdfu_part_type_to_string(BDFU_PART_SOFTDEVICE_BOOTLOADER), ==, "softdevice_bootloader");
	g_assert_cmpstr(bdfu_part_type_to_string(BDFU_PART_SOFTDEVICE), ==, "softdevice");
	g_assert_cmpstr(bdfu_part_type_to_string(BDFU_PART_BOOTLOADER), ==, "bootloader");
	g_assert_cmpstr(bdfu_part_type_to_string(BDFU_PART_APPLICATION), ==, "application");
	g_assert_cmpstr(bdfu_package_format_to_string(BDFU_PACKAGE_FORMAT_SECURE), ==, "secure");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/package/fixtures/listed", test_fixtures_listed);
	g_test_add_func("/package/fixtures/every-zip", test_fixtures_every_zip);
	g_test_add_func("/package/fixtures/edge", test_fixtures_edge);
	g_test_add_func("/package/writer/utf8-names", test_utf8_names);
	g_test_add_func("/package/writer/matches-nrfutil", test_writer_matches_nrfutil);
	g_test_add_func("/package/writer/three-part", test_roundtrip_three_part);
	g_test_add_func("/package/writer/each-type", test_roundtrip_each_type);
	g_test_add_func("/package/order/manifest-order-ignored", test_manifest_order_ignored);
	g_test_add_func("/package/warnings/junk-entries", test_junk_entries_warn);
	g_test_add_func("/package/warnings/unknown-keys", test_unknown_keys_warn);
	g_test_add_func("/package/libzip/deflated", test_deflated_with_libzip);
	g_test_add_func("/package/format/prerelease-no-is-debug", test_prerelease_no_is_debug);
	g_test_add_func("/package/format/prerelease-big-endian-hash",
			test_prerelease_big_endian_hash);
	g_test_add_func("/package/format/prerelease-inline-sizes", test_prerelease_inline_sizes);
	g_test_add_func("/package/format/legacy", test_legacy);
	g_test_add_func("/package/bad/not-a-zip", test_bad_not_a_zip);
	g_test_add_func("/package/bad/truncated", test_bad_truncated);
	g_test_add_func("/package/bad/crc", test_bad_crc);
	g_test_add_func("/package/bad/more-than-declared", test_bad_more_than_declared);
	g_test_add_func("/package/bad/limits", test_bad_limits);
	g_test_add_func("/package/bad/too-many-entries", test_bad_too_many_entries);
	g_test_add_func("/package/bad/oversize-entries", test_bad_oversize_entries);
	g_test_add_func("/package/bad/zip-bomb", test_bad_zip_bomb);
	g_test_add_func("/package/bad/duplicates", test_bad_duplicates);
	g_test_add_func("/package/bad/names", test_bad_names);
	g_test_add_func("/package/bad/missing", test_bad_missing);
	g_test_add_func("/package/bad/manifest-text", test_bad_manifest_text);
	g_test_add_func("/package/bad/manifest-content", test_bad_manifest_content);
	g_test_add_func("/package/bad/sizes", test_bad_sizes);
	g_test_add_func("/package/bad/init-packets", test_bad_init_packets);
	g_test_add_func("/package/file", test_from_file);
	g_test_add_func("/package/strings", test_strings);
	g_test_add_func("/package/fuzz-seeds", test_fuzz_seeds);
	return g_test_run();
}
