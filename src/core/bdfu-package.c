/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-package.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zip.h>

#include "bluedfu/bdfu-error.h"

#define BDFU_MANIFEST_NAME "manifest.json"
#define BDFU_REBUILD "rebuild the package with nrfutil pkg generate"
/* entries this small cannot be a zip bomb, whatever their ratio */
#define BDFU_RATIO_FLOOR 4096u
#define BDFU_NAME_MAX 255u

G_DEFINE_AUTOPTR_CLEANUP_FUNC(zip_t, zip_discard)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(zip_file_t, zip_fclose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

typedef struct {
	const BdfuPackageLimits *limits;
	zip_t *za;
	GHashTable *entries;	/* entry name → index + 1 */
	GHashTable *referenced; /* entry names the manifest named */
	gboolean legacy;	/* dfu_version or init_packet_data seen */
	gboolean inline_sizes;	/* sd_size/bl_size directly in a part (2016 and legacy) */
} BdfuPackageReader;

static const gchar *bdfu_part_names[] = {
    [BDFU_PART_SOFTDEVICE_BOOTLOADER] = "softdevice_bootloader",
    [BDFU_PART_SOFTDEVICE] = "softdevice",
    [BDFU_PART_BOOTLOADER] = "bootloader",
    [BDFU_PART_APPLICATION] = "application",
};

void
bdfu_package_limits_init(BdfuPackageLimits *limits)
{
	g_return_if_fail(limits != NULL);
	limits->max_zip_size = 64 * 1024 * 1024;
	limits->max_entries = 64;
	limits->max_manifest_size = 64 * 1024;
	limits->max_init_size = BDFU_INIT_PACKET_MAX_SIZE;
	limits->max_image_size = 1024 * 1024;
	limits->max_json_depth = 16;
	limits->max_ratio = 200;
}

const gchar *
bdfu_part_type_to_string(BdfuPartType type)
{
	if ((guint)type >= G_N_ELEMENTS(bdfu_part_names))
		return "unknown";
	return bdfu_part_names[type];
}

const gchar *
bdfu_package_format_to_string(BdfuPackageFormat format)
{
	switch (format) {
	case BDFU_PACKAGE_FORMAT_SECURE:
		return "secure";
	case BDFU_PACKAGE_FORMAT_PRERELEASE:
		return "prerelease";
	case BDFU_PACKAGE_FORMAT_LEGACY:
		return "legacy";
	default:
		return "unknown";
	}
}

static void
bdfu_package_part_free(BdfuPackagePart *part)
{
	if (part == NULL)
		return;
	g_free(part->bin_name);
	g_free(part->dat_name);
	g_clear_pointer(&part->bin, g_bytes_unref);
	g_clear_pointer(&part->dat, g_bytes_unref);
	g_clear_pointer(&part->init, bdfu_init_packet_free);
	g_free(part);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuPackagePart, bdfu_package_part_free)

void
bdfu_package_free(BdfuPackage *package)
{
	if (package == NULL)
		return;
	g_clear_pointer(&package->parts, g_ptr_array_unref);
	g_clear_pointer(&package->digest, g_bytes_unref);
	g_clear_pointer(&package->warnings, g_ptr_array_unref);
	g_free(package);
}

static void
bdfu_package_reader_clear(BdfuPackageReader *reader)
{
	g_clear_pointer(&reader->za, zip_discard);
	g_clear_pointer(&reader->entries, g_hash_table_unref);
	g_clear_pointer(&reader->referenced, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BdfuPackageReader, bdfu_package_reader_clear)

static gchar *
bdfu_format_limit(gsize limit)
{
	if (limit >= 1024 * 1024 && limit % (1024 * 1024) == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " MiB", limit / (1024 * 1024));
	if (limit >= 1024 && limit % 1024 == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " KiB", limit / 1024);
	return g_strdup_printf("%" G_GSIZE_FORMAT "-byte", limit);
}

static zip_t *
bdfu_package_open_zip(zip_source_t *src, int flags, int *zip_err)
{
	zip_error_t zerr;
	zip_t *za;

	zip_error_init(&zerr);
	za = zip_open_from_source(src, flags, &zerr);
	*zip_err = zip_error_code_zip(&zerr);
	zip_error_fini(&zerr);
	return za;
}

/* opens with the consistency checks; a zip libzip refuses for a duplicate name is reopened
 * without them so that the index can name the duplicate */
static gboolean
bdfu_package_reader_open(BdfuPackageReader *reader, GBytes *zip, GError **error)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(zip, &len);
	int zip_err = ZIP_ER_OK;

	for (guint attempt = 0; attempt < 2; attempt++) {
		zip_error_t zerr;
		zip_source_t *src;
		int flags = ZIP_RDONLY | (attempt == 0 ? ZIP_CHECKCONS : 0);

		zip_error_init(&zerr);
		src = zip_source_buffer_create(data, len, 0, &zerr);
		zip_error_fini(&zerr);
		if (src == NULL) {
			g_set_error_literal(error,
					    BDFU_ERROR,
					    BDFU_ERROR_FAILED,
					    "cannot read the package: out of memory");
			return FALSE;
		}
		reader->za = bdfu_package_open_zip(src, flags, &zip_err);
		if (reader->za != NULL)
			return TRUE;
		zip_source_free(src);
		if (zip_err != ZIP_ER_EXISTS)
			break;
	}
	if (zip_err == ZIP_ER_EXISTS) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "the zip holds two entries with the same name: " BDFU_REBUILD);
	} else {
		zip_error_t zerr;
		zip_error_init_with_code(&zerr, zip_err);
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "not a valid zip archive (%s): the file is truncated or corrupt; "
			    "download it again or " BDFU_REBUILD,
			    zip_error_strerror(&zerr));
		zip_error_fini(&zerr);
	}
	return FALSE;
}

static gboolean
bdfu_package_reader_index(BdfuPackageReader *reader, GError **error)
{
	zip_int64_t n = zip_get_num_entries(reader->za, 0);

	if (n < 0 || (guint64)n > reader->limits->max_entries) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "the zip holds %" G_GINT64_FORMAT
			    " entries, over the limit of %" G_GSIZE_FORMAT
			    ": a DFU package has a manifest and two files per image",
			    (gint64)n,
			    reader->limits->max_entries);
		return FALSE;
	}
	reader->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	reader->referenced = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (zip_int64_t i = 0; i < n; i++) {
		const gchar *name = zip_get_name(reader->za, (zip_uint64_t)i, 0);
		if (name == NULL) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "zip entry %" G_GINT64_FORMAT
				    " has no readable name: the zip is "
				    "corrupt; " BDFU_REBUILD,
				    (gint64)i);
			return FALSE;
		}
		if (g_hash_table_contains(reader->entries, name)) {
			g_set_error(
			    error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "the zip holds two entries named '%s' (duplicate): tools disagree "
			    "on which one is used; " BDFU_REBUILD,
			    name);
			return FALSE;
		}
		g_hash_table_insert(reader->entries, g_strdup(name), GSIZE_TO_POINTER(i + 1));
	}
	return TRUE;
}

static gboolean
bdfu_package_check_declared(BdfuPackageReader *reader,
			    const gchar *name,
			    const gchar *what,
			    const zip_stat_t *st,
			    gsize cap,
			    GError **error)
{
	if ((st->valid & ZIP_STAT_SIZE) == 0 || (st->valid & ZIP_STAT_COMP_SIZE) == 0) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "'%s' (%s) has no size in the zip directory: the zip is corrupt; " BDFU_REBUILD,
		    name,
		    what);
		return FALSE;
	}
	if ((st->valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && st->encryption_method != ZIP_EM_NONE) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "'%s' (%s) is encrypted: DFU packages are never encrypted; " BDFU_REBUILD,
		    name,
		    what);
		return FALSE;
	}
	if (st->size > cap) {
		g_autofree gchar *limit = bdfu_format_limit(cap);
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "'%s' (%s) is %" G_GUINT64_FORMAT
			    " bytes, over the %s limit: too large "
			    "for a DFU package",
			    name,
			    what,
			    (guint64)st->size,
			    limit);
		return FALSE;
	}
	if (st->size > BDFU_RATIO_FLOOR &&
	    (gdouble)st->size > (gdouble)st->comp_size * reader->limits->max_ratio) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "'%s' (%s) would expand from %" G_GUINT64_FORMAT
			    " to %" G_GUINT64_FORMAT
			    " bytes, a compression ratio over %.0f: this looks like a zip bomb",
			    name,
			    what,
			    (guint64)st->comp_size,
			    (guint64)st->size,
			    reader->limits->max_ratio);
		return FALSE;
	}
	return TRUE;
}

/* reads one entry the manifest names; never more than `cap` bytes are decompressed */
static GBytes *
bdfu_package_read_entry(BdfuPackageReader *reader,
			const gchar *name,
			const gchar *what,
			gsize cap,
			GError **error)
{
	gpointer value = g_hash_table_lookup(reader->entries, name);
	g_autoptr(zip_file_t) zf = NULL;
	g_autofree guint8 *buf = NULL;
	zip_uint64_t index, total = 0;
	zip_stat_t st;

	if (value == NULL) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "'%s' (%s) is named by manifest.json but missing from the zip: " BDFU_REBUILD,
		    name,
		    what);
		return NULL;
	}
	index = GPOINTER_TO_SIZE(value) - 1;
	g_hash_table_add(reader->referenced, g_strdup(name));
	zip_stat_init(&st);
	if (zip_stat_index(reader->za, index, 0, &st) != 0) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "'%s' (%s) cannot be read: %s",
			    name,
			    what,
			    zip_strerror(reader->za));
		return NULL;
	}
	if (!bdfu_package_check_declared(reader, name, what, &st, cap, error))
		return NULL;
	zf = zip_fopen_index(reader->za, index, 0);
	if (zf == NULL) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "'%s' (%s) cannot be read: %s; " BDFU_REBUILD,
			    name,
			    what,
			    zip_strerror(reader->za));
		return NULL;
	}
	/* one byte more than declared, to catch an entry that inflates past its header */
	buf = g_malloc(st.size + 1);
	while (total <= st.size) {
		zip_int64_t n = zip_fread(zf, buf + total, st.size + 1 - total);
		if (n < 0) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "'%s' (%s) is corrupt in the zip: %s; download it again "
				    "or " BDFU_REBUILD,
				    name,
				    what,
				    zip_file_strerror(zf));
			return NULL;
		}
		if (n == 0)
			break;
		total += (zip_uint64_t)n;
	}
	if (total != st.size) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "'%s' (%s) holds %s bytes than the %" G_GUINT64_FORMAT
			    " its zip header declares: the zip is corrupt; " BDFU_REBUILD,
			    name,
			    what,
			    total > st.size ? "more" : "fewer",
			    (guint64)st.size);
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&buf), st.size);
}

/* cJSON recurses per level: refuse deep nesting before it sees the text */
static gboolean
bdfu_json_check_depth(const gchar *text, gsize len, guint max_depth, GError **error)
{
	guint depth = 0;
	gboolean in_string = FALSE, escaped = FALSE;

	for (gsize i = 0; i < len; i++) {
		gchar c = text[i];
		if (in_string) {
			if (escaped)
				escaped = FALSE;
			else if (c == '\\')
				escaped = TRUE;
			else if (c == '"')
				in_string = FALSE;
			continue;
		}
		if (c == '"') {
			in_string = TRUE;
		} else if (c == '{' || c == '[') {
			if (++depth > max_depth) {
				g_set_error(error,
					    BDFU_ERROR,
					    BDFU_ERROR_BAD_PACKAGE,
					    "manifest.json nests deeper than %u levels (at byte "
					    "%" G_GSIZE_FORMAT
					    "): a DFU manifest is three levels deep; " BDFU_REBUILD,
					    max_depth,
					    i);
				return FALSE;
			}
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
}

/* cJSON keeps the first of two equal keys, Python's json the last: refuse the ambiguity */
static gboolean
bdfu_json_check_duplicates(const cJSON *node, GError **error)
{
	g_autoptr(GHashTable) keys = NULL;
	const cJSON *child;

	if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
		return TRUE;
	if (cJSON_IsObject(node))
		keys = g_hash_table_new(g_str_hash, g_str_equal);
	cJSON_ArrayForEach(child, node)
	{
		if (keys != NULL && child->string != NULL) {
			if (!g_hash_table_add(keys, child->string)) {
				g_set_error(error,
					    BDFU_ERROR,
					    BDFU_ERROR_BAD_PACKAGE,
					    "manifest.json has the key '%s' twice in one object "
					    "(duplicate key): tools disagree on which one "
					    "counts; " BDFU_REBUILD,
					    child->string);
				return FALSE;
			}
		}
		if (!bdfu_json_check_duplicates(child, error))
			return FALSE;
	}
	return TRUE;
}

static cJSON *
bdfu_package_parse_manifest(BdfuPackageReader *reader, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(cJSON) root = NULL;
	const gchar *text, *end = NULL;
	gsize len = 0;

	if (!g_hash_table_contains(reader->entries, BDFU_MANIFEST_NAME)) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "the zip has no manifest.json: it is not a DFU package; " BDFU_REBUILD);
		return NULL;
	}
	bytes = bdfu_package_read_entry(
	    reader, BDFU_MANIFEST_NAME, "the manifest", reader->limits->max_manifest_size, error);
	if (bytes == NULL)
		return NULL;
	text = g_bytes_get_data(bytes, &len);
	if (len > 0 && !g_utf8_validate(text, (gssize)len, &end)) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "manifest.json is not valid UTF-8 text (bad byte at offset %" G_GSIZE_FORMAT
		    "): " BDFU_REBUILD,
		    (gsize)(end - text));
		return NULL;
	}
	/* a BOM written by some editors is harmless */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (!bdfu_json_check_depth(text, len, reader->limits->max_json_depth, error))
		return NULL;
	end = NULL;
	root = cJSON_ParseWithLengthOpts(text, len, &end, FALSE);
	if (root == NULL) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "manifest.json is not valid JSON (error near byte %" G_GSIZE_FORMAT
			    "): " BDFU_REBUILD,
			    end != NULL && end >= text ? (gsize)(end - text) : (gsize)0);
		return NULL;
	}
	for (const gchar *p = end; p != NULL && p < text + len; p++) {
		if (!g_ascii_isspace(*p)) {
			g_set_error(
			    error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "manifest.json has data after its JSON value (at byte %" G_GSIZE_FORMAT
			    "): " BDFU_REBUILD,
			    (gsize)(p - text));
			return NULL;
		}
	}
	if (!bdfu_json_check_duplicates(root, error))
		return NULL;
	if (!cJSON_IsObject(root)) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "manifest.json is not a JSON object: it must read "
				    "{\"manifest\": {...}}; " BDFU_REBUILD);
		return NULL;
	}
	return g_steal_pointer(&root);
}

static gboolean
bdfu_manifest_get_size(const cJSON *obj,
		       const gchar *part_key,
		       const gchar *key,
		       guint32 *out,
		       GError **error)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	gdouble v;

	if (item == NULL)
		return TRUE;
	v = cJSON_IsNumber(item) ? item->valuedouble : -1;
	if (!cJSON_IsNumber(item) || !(v >= 0 && v <= G_MAXUINT32) || (gdouble)(guint32)v != v) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "manifest.json: '%s' of the %s must be a whole number of bytes: " BDFU_REBUILD,
		    key,
		    part_key);
		return FALSE;
	}
	*out = (guint32)v;
	return TRUE;
}

/* names the manifest gives must be plain entries: nothing that could climb out of a folder */
static const gchar *
bdfu_manifest_get_name(const cJSON *obj, const gchar *part_key, const gchar *key, GError **error)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	const gchar *name = cJSON_GetStringValue(item);

	if (name == NULL || name[0] == '\0') {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "manifest.json: the %s has no '%s' file name: " BDFU_REBUILD,
			    part_key,
			    key);
		return NULL;
	}
	if (strchr(name, '/') != NULL || strchr(name, '\\') != NULL || strstr(name, "..") != NULL ||
	    strlen(name) > BDFU_NAME_MAX) {
		g_autofree gchar *shown = g_strescape(name, NULL);
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "manifest.json names '%s' as the %s %s: a DFU package holds plain file "
			    "names without '/', '\\', '..' or folders; " BDFU_REBUILD,
			    shown,
			    part_key,
			    key);
		return NULL;
	}
	for (const gchar *p = name; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7F) {
			g_autofree gchar *shown = g_strescape(name, NULL);
			g_set_error(
			    error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "manifest.json names '%s' as the %s %s: control characters are not "
			    "allowed in file names; " BDFU_REBUILD,
			    shown,
			    part_key,
			    key);
			return NULL;
		}
	}
	return name;
}

static BdfuPackagePart *
bdfu_package_read_part(BdfuPackageReader *reader,
		       BdfuPartType type,
		       const cJSON *obj,
		       GError **error)
{
	const gchar *key = bdfu_part_type_to_string(type);
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "info_read_only_metadata");
	g_autoptr(BdfuPackagePart) part = g_new0(BdfuPackagePart, 1);
	g_autofree gchar *bin_what = g_strdup_printf("the %s image", key);
	g_autofree gchar *dat_what = g_strdup_printf("the %s init packet", key);
	const gchar *bin_name, *dat_name;

	part->type = type;
	if (!cJSON_IsObject(obj)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "manifest.json: '%s' is not an object with bin_file and "
			    "dat_file: " BDFU_REBUILD,
			    key);
		return NULL;
	}
	bin_name = bdfu_manifest_get_name(obj, key, "bin_file", error);
	if (bin_name == NULL)
		return NULL;
	dat_name = bdfu_manifest_get_name(obj, key, "dat_file", error);
	if (dat_name == NULL)
		return NULL;
	if (g_hash_table_contains(reader->referenced, bin_name) ||
	    g_hash_table_contains(reader->referenced, dat_name) ||
	    g_strcmp0(bin_name, dat_name) == 0) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "manifest.json names '%s' more than once: every image needs its own "
			    ".bin and .dat; " BDFU_REBUILD,
			    g_hash_table_contains(reader->referenced, dat_name) ||
				    g_strcmp0(bin_name, dat_name) == 0
				? dat_name
				: bin_name);
		return NULL;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, "init_packet_data") != NULL)
		reader->legacy = TRUE;
	if (cJSON_GetObjectItemCaseSensitive(obj, "sd_size") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(obj, "bl_size") != NULL)
		reader->inline_sizes = TRUE;
	if (cJSON_IsObject(meta)) {
		if (!bdfu_manifest_get_size(meta, key, "sd_size", &part->manifest_sd_size, error) ||
		    !bdfu_manifest_get_size(meta, key, "bl_size", &part->manifest_bl_size, error))
			return NULL;
	} else if (!bdfu_manifest_get_size(obj, key, "sd_size", &part->manifest_sd_size, error) ||
		   !bdfu_manifest_get_size(obj, key, "bl_size", &part->manifest_bl_size, error)) {
		return NULL;
	}
	part->bin_name = g_strdup(bin_name);
	part->dat_name = g_strdup(dat_name);
	part->bin = bdfu_package_read_entry(
	    reader, bin_name, bin_what, reader->limits->max_image_size, error);
	if (part->bin == NULL)
		return NULL;
	part->dat = bdfu_package_read_entry(
	    reader, dat_name, dat_what, reader->limits->max_init_size, error);
	if (part->dat == NULL)
		return NULL;
	if (g_bytes_get_size(part->bin) == 0) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "'%s' (%s) is empty: " BDFU_REBUILD,
			    bin_name,
			    bin_what);
		return NULL;
	}
	return g_steal_pointer(&part);
}

static gboolean
bdfu_package_read_parts(BdfuPackageReader *reader,
			const cJSON *manifest,
			BdfuPackage *package,
			GError **error)
{
	const cJSON *child;

	cJSON_ArrayForEach(child, manifest)
	{
		const gchar *key = child->string != NULL ? child->string : "";
		BdfuPackagePart *part;
		guint type;

		if (g_strcmp0(key, "dfu_version") == 0) {
			reader->legacy = TRUE;
			continue;
		}
		for (type = 0; type < G_N_ELEMENTS(bdfu_part_names); type++) {
			if (g_strcmp0(key, bdfu_part_names[type]) == 0)
				break;
		}
		if (type == G_N_ELEMENTS(bdfu_part_names)) {
			/* something we would silently not flash is worse than a refusal */
			if (cJSON_IsObject(child)) {
				g_set_error(
				    error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "manifest.json lists a '%s' image, which nrfutil does not "
				    "write and bluedfu cannot flash: build the package with "
				    "separate softdevice, bootloader and application images "
				    "(nrfutil pkg generate)",
				    key);
				return FALSE;
			}
			g_ptr_array_add(
			    package->warnings,
			    g_strdup_printf("manifest.json: unknown key '%s' ignored", key));
			continue;
		}
		part = bdfu_package_read_part(reader, (BdfuPartType)type, child, error);
		if (part == NULL)
			return FALSE;
		g_ptr_array_add(package->parts, part);
	}
	if (package->parts->len == 0) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "manifest.json lists no firmware image (application, softdevice, "
		    "bootloader or softdevice_bootloader): " BDFU_REBUILD);
		return FALSE;
	}
	return TRUE;
}

static gboolean
bdfu_part_init_type_ok(BdfuPartType type, const BdfuInitPacket *init)
{
	guint32 fw_type = init->has_type ? init->type : BDFU_FW_TYPE_APPLICATION;
	switch (type) {
	case BDFU_PART_SOFTDEVICE_BOOTLOADER:
		return fw_type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER;
	case BDFU_PART_SOFTDEVICE:
		return fw_type == BDFU_FW_TYPE_SOFTDEVICE;
	case BDFU_PART_BOOTLOADER:
		return fw_type == BDFU_FW_TYPE_BOOTLOADER;
	case BDFU_PART_APPLICATION:
		return fw_type == BDFU_FW_TYPE_APPLICATION ||
		       fw_type == BDFU_FW_TYPE_EXTERNAL_APPLICATION;
	default:
		return FALSE;
	}
}

/* the manifest sizes are informational, but when given they must agree with the image */
static gboolean
bdfu_package_check_manifest_sizes(const BdfuPackagePart *part, GError **error)
{
	guint64 sum = (guint64)part->manifest_sd_size + part->manifest_bl_size;
	gsize bin_len = g_bytes_get_size(part->bin);

	if (sum == 0)
		return TRUE;
	if (sum != bin_len) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "manifest.json gives the %s sd_size %u + bl_size %u = %" G_GUINT64_FORMAT
		    " bytes, but '%s' is %" G_GSIZE_FORMAT " bytes: the package is "
		    "inconsistent; " BDFU_REBUILD,
		    bdfu_part_type_to_string(part->type),
		    part->manifest_sd_size,
		    part->manifest_bl_size,
		    sum,
		    part->bin_name,
		    bin_len);
		return FALSE;
	}
	if (part->init != NULL && (part->init->sd_size != part->manifest_sd_size ||
				   part->init->bl_size != part->manifest_bl_size)) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "manifest.json gives the %s sd_size %u and bl_size %u, but its init packet "
		    "'%s' says sd_size %u and bl_size %u: the package is "
		    "inconsistent; " BDFU_REBUILD,
		    bdfu_part_type_to_string(part->type),
		    part->manifest_sd_size,
		    part->manifest_bl_size,
		    part->dat_name,
		    part->init->sd_size,
		    part->init->bl_size);
		return FALSE;
	}
	return TRUE;
}

/* decodes the init packet of a Secure (or 2016) part; TRUE in *prerelease for the 2016 form */
static gboolean
bdfu_package_check_init(BdfuPackagePart *part, gboolean *prerelease, GError **error)
{
	const gchar *key = bdfu_part_type_to_string(part->type);
	gsize dat_len = 0, bin_len = 0;
	const guint8 *dat = g_bytes_get_data(part->dat, &dat_len);
	const guint8 *bin = g_bytes_get_data(part->bin, &bin_len);
	guint64 declared;

	part->init = bdfu_init_packet_parse(dat, dat_len, error);
	if (part->init == NULL) {
		if (dat_len > 0 && dat[0] != 0x0A && dat[0] != 0x12) {
			g_prefix_error(error,
				       "'%s' (the %s init packet) is not a Secure DFU init packet "
				       "(a legacy SDK <= 11 package needs dfu_version in its "
				       "manifest.json): ",
				       part->dat_name,
				       key);
		} else {
			g_prefix_error(error, "'%s' (the %s init packet): ", part->dat_name, key);
		}
		return FALSE;
	}
	if (!bdfu_part_init_type_ok(part->type, part->init)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "manifest.json lists '%s' as the %s, but its init packet '%s' is for a "
			    "%s: " BDFU_REBUILD,
			    part->bin_name,
			    key,
			    part->dat_name,
			    bdfu_fw_type_to_string(part->init->has_type
						       ? part->init->type
						       : BDFU_FW_TYPE_APPLICATION));
		return FALSE;
	}
	/* the bootloader reads the size of the type; nrfutil writes zero for the others */
	declared = bdfu_init_packet_get_image_size(part->init);
	if (declared == bin_len)
		declared =
		    (guint64)part->init->sd_size + part->init->bl_size + part->init->app_size;
	if (declared != bin_len) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "'%s' (the %s image) is %" G_GSIZE_FORMAT " bytes, but its init packet "
			    "'%s' declares %" G_GUINT64_FORMAT " bytes (sd_size %u + bl_size %u + "
			    "app_size %u): the bootloader would refuse it; " BDFU_REBUILD,
			    part->bin_name,
			    key,
			    bin_len,
			    part->dat_name,
			    declared,
			    part->init->sd_size,
			    part->init->bl_size,
			    part->init->app_size);
		return FALSE;
	}
	/* the June 2016 tools wrote no is_debug and one of them a big-endian digest (§7.2) */
	if (part->init->has_init && !part->init->has_is_debug)
		*prerelease = TRUE;
	if (bdfu_init_packet_check_hash(part->init, bin, bin_len) ==
	    BDFU_HASH_CHECK_MATCH_BIG_ENDIAN)
		*prerelease = TRUE;
	return TRUE;
}

static void
bdfu_package_warn_unreferenced(BdfuPackageReader *reader, BdfuPackage *package)
{
	zip_int64_t n = zip_get_num_entries(reader->za, 0);
	for (zip_int64_t i = 0; i < n; i++) {
		const gchar *name = zip_get_name(reader->za, (zip_uint64_t)i, 0);
		g_autofree gchar *shown = NULL;
		if (name == NULL || g_hash_table_contains(reader->referenced, name) ||
		    g_str_has_suffix(name, "/"))
			continue;
		shown = g_strescape(name, NULL);
		g_ptr_array_add(package->warnings,
				g_strdup_printf("zip entry '%s' is not named by manifest.json and "
						"was ignored",
						shown));
	}
}

static gint
bdfu_package_part_cmp(gconstpointer a, gconstpointer b)
{
	const BdfuPackagePart *pa = *(BdfuPackagePart *const *)a;
	const BdfuPackagePart *pb = *(BdfuPackagePart *const *)b;
	return (gint)pa->type - (gint)pb->type;
}

static GBytes *
bdfu_package_digest(GBytes *zip)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize digest_len = sizeof(digest);
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(zip, &len);

	g_checksum_update(checksum, data, (gssize)len);
	g_checksum_get_digest(checksum, digest, &digest_len);
	return g_bytes_new(digest, digest_len);
}

static gboolean
bdfu_package_check_parts(BdfuPackageReader *reader, BdfuPackage *package, GError **error)
{
	gboolean prerelease = reader->inline_sizes;

	for (guint i = 0; i < package->parts->len; i++) {
		BdfuPackagePart *part = g_ptr_array_index(package->parts, i);
		if (!reader->legacy && !bdfu_package_check_init(part, &prerelease, error))
			return FALSE;
		if (!bdfu_package_check_manifest_sizes(part, error))
			return FALSE;
	}
	if (reader->legacy)
		package->format = BDFU_PACKAGE_FORMAT_LEGACY;
	else if (prerelease)
		package->format = BDFU_PACKAGE_FORMAT_PRERELEASE;
	else
		package->format = BDFU_PACKAGE_FORMAT_SECURE;
	return TRUE;
}

BdfuPackage *
bdfu_package_new_from_bytes(GBytes *zip, const BdfuPackageLimits *limits, GError **error)
{
	g_auto(BdfuPackageReader) reader = {0};
	g_autoptr(BdfuPackage) package = NULL;
	g_autoptr(cJSON) root = NULL;
	BdfuPackageLimits defaults;
	const cJSON *manifest, *child;
	gsize len;

	g_return_val_if_fail(zip != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (limits == NULL) {
		bdfu_package_limits_init(&defaults);
		limits = &defaults;
	}
	reader.limits = limits;
	len = g_bytes_get_size(zip);
	if (len > limits->max_zip_size) {
		g_autofree gchar *limit = bdfu_format_limit(limits->max_zip_size);
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_BAD_PACKAGE,
			    "the package is %" G_GSIZE_FORMAT " bytes, over the %s limit: a DFU "
			    "package for an nRF5 device is much smaller",
			    len,
			    limit);
		return NULL;
	}
	/* libzip takes an empty file for an empty archive */
	if (len == 0) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_BAD_PACKAGE,
				    "not a valid zip archive (the file is empty): download it "
				    "again or " BDFU_REBUILD);
		return NULL;
	}
	if (!bdfu_package_reader_open(&reader, zip, error) ||
	    !bdfu_package_reader_index(&reader, error))
		return NULL;
	root = bdfu_package_parse_manifest(&reader, error);
	if (root == NULL)
		return NULL;
	manifest = cJSON_GetObjectItemCaseSensitive(root, "manifest");
	if (!cJSON_IsObject(manifest)) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_BAD_PACKAGE,
		    "manifest.json has no \"manifest\" object listing the images: " BDFU_REBUILD);
		return NULL;
	}

	package = g_new0(BdfuPackage, 1);
	package->parts = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_package_part_free);
	package->warnings = g_ptr_array_new_with_free_func(g_free);
	cJSON_ArrayForEach(child, root)
	{
		if (child != manifest)
			g_ptr_array_add(
			    package->warnings,
			    g_strdup_printf("manifest.json: unknown key '%s' ignored",
					    child->string != NULL ? child->string : ""));
	}
	if (!bdfu_package_read_parts(&reader, manifest, package, error) ||
	    !bdfu_package_check_parts(&reader, package, error))
		return NULL;
	g_ptr_array_sort(package->parts, bdfu_package_part_cmp);
	bdfu_package_warn_unreferenced(&reader, package);
	package->digest = bdfu_package_digest(zip);
	return g_steal_pointer(&package);
}

BdfuPackage *
bdfu_package_new_from_file(const gchar *filename, const BdfuPackageLimits *limits, GError **error)
{
	BdfuPackageLimits defaults;
	g_autoptr(GByteArray) buf = g_byte_array_new();
	g_autoptr(GBytes) bytes = NULL;
	guint8 chunk[64 * 1024];
	FILE *f;

	g_return_val_if_fail(filename != NULL, NULL);
	if (limits == NULL) {
		bdfu_package_limits_init(&defaults);
		limits = &defaults;
	}
	f = fopen(filename, "rbe");
	if (f == NULL) {
		int errsv = errno;
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "cannot open the package '%s': %s",
			    filename,
			    g_strerror(errsv));
		return NULL;
	}
	/* read at most one byte past the cap, whatever the file is (a pipe, /dev/zero) */
	while (buf->len <= limits->max_zip_size) {
		gsize want = MIN(sizeof(chunk), limits->max_zip_size + 1 - buf->len);
		gsize n = fread(chunk, 1, want, f);
		if (n == 0)
			break;
		g_byte_array_append(buf, chunk, (guint)n);
	}
	if (ferror(f)) {
		int errsv = errno;
		fclose(f);
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "cannot read the package '%s': %s",
			    filename,
			    g_strerror(errsv));
		return NULL;
	}
	fclose(f);
	bytes = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
	return bdfu_package_new_from_bytes(bytes, limits, error);
}

gboolean
bdfu_package_check_sendable(const BdfuPackage *package, GError **error)
{
	if (package->format != BDFU_PACKAGE_FORMAT_LEGACY)
		return TRUE;
	g_set_error_literal(error,
			    BDFU_ERROR,
			    BDFU_ERROR_UNSUPPORTED_PACKAGE,
			    "this is a legacy DFU package (nRF5 SDK 11 or older); bluedfu "
			    "speaks Secure DFU (SDK 12+) only.\nFix: build the package with "
			    "nrfutil >= 1.5 for a Secure DFU bootloader, or use a legacy DFU "
			    "tool for SDK <= 11 bootloaders");
	return FALSE;
}
