/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The init packet decoder, signature check and encoder against every real .dat under
 * $BDFU_FIXTURES (expected values from fixtures.json) and against crafted hostile packets. */
#include <cjson/cJSON.h>
#include <openssl/pem.h>
#include <string.h>
#include <zip.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-init-packet.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

/* helpers ------------------------------------------------------------------------------------ */

static const gchar *
fixtures_dir(void)
{
	const gchar *dir = g_getenv("BDFU_FIXTURES");
	if (dir == NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR))
		return NULL;
	return dir;
}

static gboolean
skip_without_fixtures(void)
{
	if (fixtures_dir() != NULL)
		return FALSE;
	g_test_skip("BDFU_FIXTURES is not set or not a directory: no real packages to check");
	return TRUE;
}

static GBytes *
read_file(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *data = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &data, &len, &error))
		g_error("%s", error->message);
	return g_bytes_new_take(data, len);
}

static GBytes *
zip_read(const gchar *zip_path, const gchar *name)
{
	zip_stat_t st;
	zip_file_t *file;
	g_autofree guint8 *data = NULL;
	zip_int64_t got;
	int err = 0;
	zip_t *zip = zip_open(zip_path, ZIP_RDONLY, &err);

	g_assert_nonnull(zip);
	if (zip_stat(zip, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
		zip_discard(zip);
		return NULL;
	}
	file = zip_fopen(zip, name, 0);
	g_assert_nonnull(file);
	data = g_malloc(st.size + 1);
	got = zip_fread(file, data, st.size);
	zip_fclose(file);
	zip_discard(zip);
	g_assert_cmpint(got, ==, (zip_int64_t)st.size);
	return g_bytes_new_take(g_steal_pointer(&data), st.size);
}

static cJSON *
load_json(const gchar *path)
{
	g_autoptr(GBytes) bytes = read_file(path);
	cJSON *json = cJSON_ParseWithLength(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	g_assert_nonnull(json);
	return json;
}

static guint8 *
hex_decode(const gchar *hex, gsize *len)
{
	gsize n = strlen(hex) / 2;
	guint8 *out = g_malloc(n);
	for (gsize i = 0; i < n; i++)
		out[i] = (guint8)(g_ascii_xdigit_value(hex[2 * i]) << 4 |
				  g_ascii_xdigit_value(hex[2 * i + 1]));
	*len = n;
	return out;
}

static BdfuKey *
load_key(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) pem = read_file(path);
	BdfuKey *key =
	    bdfu_key_new_from_pem(g_bytes_get_data(pem, NULL), g_bytes_get_size(pem), &error);
	g_assert_no_error(error);
	g_assert_nonnull(key);
	return key;
}

/* the public key of fixtures/keys/public whose file name ends in _<id>.pub.pem */
static BdfuKey *
load_fixture_key(const gchar *id)
{
	g_autofree gchar *dir = g_build_filename(fixtures_dir(), "keys", "public", NULL);
	g_autofree gchar *suffix = g_strdup_printf("_%s.pub.pem", id);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *name;
	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		if (g_str_has_suffix(name, suffix)) {
			g_autofree gchar *path = g_build_filename(dir, name, NULL);
			return load_key(path);
		}
	}
	g_error("no public key %s in %s", id, dir);
	return NULL;
}

static GPtrArray *
load_all_fixture_keys(void)
{
	g_autofree gchar *dir = g_build_filename(fixtures_dir(), "keys", "public", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	GPtrArray *keys = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_key_free);
	const gchar *name;
	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_ptr_array_add(keys, load_key(path));
	}
	return keys;
}

static guint32
fw_type_from_name(const gchar *name)
{
	static const gchar *names[] = {"APPLICATION",
				       "SOFTDEVICE",
				       "BOOTLOADER",
				       "SOFTDEVICE_BOOTLOADER",
				       "EXTERNAL_APPLICATION"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_strcmp0(name, names[i]) == 0)
			return i;
	}
	g_error("unknown fw_type %s", name);
	return G_MAXUINT32;
}

static guint32
json_u32(const cJSON *obj, const gchar *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	g_assert_true(cJSON_IsNumber(item));
	return (guint32)item->valuedouble;
}

/* real packages ------------------------------------------------------------------------------ */

static void
check_fields(const cJSON *part, const BdfuInitPacket *p)
{
	const cJSON *sd_req = cJSON_GetObjectItem(part, "sd_req");
	const cJSON *bv = cJSON_GetObjectItem(part, "boot_validation");
	const cJSON *is_debug = cJSON_GetObjectItem(part, "is_debug");
	const cJSON *item;
	guint i = 0;

	g_assert_true(p->has_op_code);
	g_assert_cmpuint(p->op_code, ==, 1);
	g_assert_true(p->has_init);
	g_assert_true(p->has_fw_version);
	g_assert_cmpuint(p->fw_version, ==, json_u32(part, "fw_version"));
	g_assert_true(p->has_hw_version);
	g_assert_cmpuint(p->hw_version, ==, json_u32(part, "hw_version"));
	g_assert_cmpuint(p->sd_req_len, ==, cJSON_GetArraySize(sd_req));
	cJSON_ArrayForEach(item, sd_req)
	{
		g_assert_cmpuint(p->sd_req[i++], ==, (guint32)item->valuedouble);
	}
	/* every fixture packs sd_req, as nrfutil does */
	g_assert_true(p->sd_req_packed);
	g_assert_true(p->has_type);
	g_assert_cmpuint(
	    p->type, ==, fw_type_from_name(cJSON_GetObjectItem(part, "fw_type")->valuestring));
	g_assert_true(p->has_sd_size && p->has_bl_size && p->has_app_size);
	g_assert_cmpuint(p->sd_size, ==, json_u32(part, "sd_size"));
	g_assert_cmpuint(p->bl_size, ==, json_u32(part, "bl_size"));
	g_assert_cmpuint(p->app_size, ==, json_u32(part, "app_size"));
	g_assert_cmpuint(
	    p->bl_size + p->sd_size + p->app_size, ==, bdfu_init_packet_get_image_size(p));
	g_assert_true(p->has_hash);
	g_assert_cmpuint(p->hash_type, ==, BDFU_HASH_TYPE_SHA256);
	g_assert_cmpuint(p->hash_len, ==, json_u32(part, "hash_len"));
	if (cJSON_IsString(is_debug)) {
		/* the June 2016 tools had no is_debug field */
		g_assert_cmpstr(is_debug->valuestring, ==, "absent");
		g_assert_false(p->has_is_debug);
	} else {
		g_assert_true(p->has_is_debug);
		g_assert_cmpint(p->is_debug, ==, cJSON_IsTrue(is_debug));
	}
	g_assert_cmpuint(p->boot_validation_len, ==, cJSON_GetArraySize(bv));
	i = 0;
	cJSON_ArrayForEach(item, bv)
	{
		g_assert_cmpstr(item->valuestring, ==, "VALIDATE_GENERATED_CRC(0B)");
		g_assert_cmpuint(p->boot_validation[i].type, ==, BDFU_VALIDATION_GENERATED_CRC);
		g_assert_cmpuint(p->boot_validation[i].bytes_len, ==, 0);
		i++;
	}
	g_assert_cmpint(p->is_signed, ==, cJSON_IsTrue(cJSON_GetObjectItem(part, "signed")));
	if (p->is_signed) {
		g_assert_true(p->has_signature_type);
		g_assert_cmpuint(p->signature_type, ==, BDFU_SIGNATURE_TYPE_ECDSA_P256_SHA256);
		g_assert_cmpuint(p->signature_len, ==, 64);
	} else {
		g_assert_cmpuint(p->signature_len, ==, 0);
	}
}

static void
check_hash(const gchar *zip_path, const cJSON *part, const BdfuInitPacket *p)
{
	const gchar *expect = cJSON_GetObjectItem(part, "hash_check")->valuestring;
	g_autoptr(GBytes) bin = zip_read(zip_path, cJSON_GetObjectItem(part, "bin")->valuestring);
	g_autofree guint8 *broken = NULL;
	gsize len;

	g_assert_nonnull(bin);
	len = g_bytes_get_size(bin);
	g_assert_cmpuint(bdfu_init_packet_get_image_size(p), ==, len);
	if (g_str_has_suffix(expect, "big-endian MATCH"))
		g_assert_cmpint(bdfu_init_packet_check_hash(p, g_bytes_get_data(bin, NULL), len),
				==,
				BDFU_HASH_CHECK_MATCH_BIG_ENDIAN);
	else
		g_assert_cmpint(bdfu_init_packet_check_hash(p, g_bytes_get_data(bin, NULL), len),
				==,
				BDFU_HASH_CHECK_MATCH);
	/* one flipped bit anywhere in the image is a mismatch */
	broken = g_memdup2(g_bytes_get_data(bin, NULL), len);
	broken[len / 2] ^= 0x01;
	g_assert_cmpint(bdfu_init_packet_check_hash(p, broken, len), ==, BDFU_HASH_CHECK_MISMATCH);
}

static void
check_signature(const cJSON *part, GBytes *dat, const BdfuInitPacket *p, GPtrArray *all_keys)
{
	const gchar *key_id = cJSON_GetObjectItem(part, "signature")->valuestring;
	const guint8 *data = g_bytes_get_data(dat, NULL);
	gsize len = g_bytes_get_size(dat);
	g_autofree guint8 *tampered = NULL;
	g_autoptr(BdfuKey) key = NULL;

	if (!p->is_signed) {
		g_assert_cmpstr(key_id, ==, "unsigned");
		g_assert_cmpint(
		    bdfu_init_packet_verify(p, data, len, NULL), ==, BDFU_SIGNATURE_ABSENT);
		return;
	}
	g_assert_cmpint(bdfu_init_packet_verify(p, data, len, NULL), ==, BDFU_SIGNATURE_UNCHECKED);
	if (g_strcmp0(key_id, "unknown-key") == 0) {
		/* signed by a key nobody published: none of ours may accept it */
		for (guint i = 0; i < all_keys->len; i++)
			g_assert_cmpint(bdfu_init_packet_verify(p, data, len, all_keys->pdata[i]),
					==,
					BDFU_SIGNATURE_INVALID);
		return;
	}
	key = load_fixture_key(key_id);
	g_assert_cmpint(bdfu_init_packet_verify(p, data, len, key), ==, BDFU_SIGNATURE_VALID);
	/* exactly one of the published keys signs it */
	for (guint i = 0, n = 0; i < all_keys->len; i++) {
		if (bdfu_init_packet_verify(p, data, len, all_keys->pdata[i]) ==
		    BDFU_SIGNATURE_VALID)
			n++;
		if (i + 1 == all_keys->len)
			g_assert_cmpuint(n, ==, 1);
	}
	/* a changed fw_version byte inside the signed bytes breaks the signature */
	tampered = g_memdup2(data, len);
	tampered[p->init_offset + 1] ^= 0x01;
	g_assert_cmpint(bdfu_init_packet_verify(p, tampered, len, key), ==, BDFU_SIGNATURE_INVALID);
}

static void
check_reencode(GBytes *dat, const BdfuInitPacket *p)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) out = bdfu_init_packet_encode(p, NULL, &error);
	g_autoptr(BdfuInitPacket) again = NULL;
	const guint8 *orig = g_bytes_get_data(dat, NULL);
	const guint8 *enc;
	gsize enc_len;

	g_assert_no_error(error);
	g_assert_nonnull(out);
	enc = g_bytes_get_data(out, &enc_len);
	if (!p->is_signed) {
		/* unsigned: byte-identical to what nrfutil wrote */
		g_assert_cmpmem(enc, enc_len, orig, g_bytes_get_size(dat));
		return;
	}
	/* signed: signatures are randomized, but the signed bytes must be the same */
	again = bdfu_init_packet_parse(enc, enc_len, &error);
	g_assert_no_error(error);
	g_assert_false(again->is_signed);
	g_assert_cmpmem(
	    enc + again->init_offset, again->init_len, orig + p->init_offset, p->init_len);
}

static void
test_fixtures(void)
{
	g_autofree gchar *json_path = NULL;
	g_autoptr(cJSON) fixtures = NULL;
	g_autoptr(GPtrArray) all_keys = NULL;
	const cJSON *entry;
	guint n_protobuf = 0, n_legacy = 0, n_signed = 0;

	if (skip_without_fixtures())
		return;
	json_path = g_build_filename(fixtures_dir(), "fixtures.json", NULL);
	fixtures = load_json(json_path);
	all_keys = load_all_fixture_keys();
	cJSON_ArrayForEach(entry, fixtures)
	{
		const gchar *folder = cJSON_GetObjectItem(entry, "folder")->valuestring;
		g_autofree gchar *zip_path = g_build_filename(
		    fixtures_dir(), folder, cJSON_GetObjectItem(entry, "file")->valuestring, NULL);
		const cJSON *part;
		cJSON_ArrayForEach(part, cJSON_GetObjectItem(entry, "parts"))
		{
			const gchar *dat_name = cJSON_GetObjectItem(part, "dat")->valuestring;
			const gchar *format = cJSON_GetObjectItem(part, "format")->valuestring;
			g_autofree gchar *dat_path =
			    g_build_filename(fixtures_dir(), folder, "dat", dat_name, NULL);
			g_autoptr(GBytes) dat = read_file(dat_path);
			g_autoptr(GError) error = NULL;
			g_autoptr(BdfuInitPacket) p = NULL;

			g_test_message("%s", dat_path);
			p = bdfu_init_packet_parse(
			    g_bytes_get_data(dat, NULL), g_bytes_get_size(dat), &error);
			if (g_strcmp0(format, "legacy") == 0) {
				/* SDK <= 11 packed structs are refused cleanly, never misread */
				const guint8 first = *(const guint8 *)g_bytes_get_data(dat, NULL);
				g_assert_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE);
				g_assert_null(p);
				if (first != 0x0A && first != 0x12)
					g_assert_nonnull(
					    strstr(error->message,
						   "SDK 11 and older use a legacy format"));
				n_legacy++;
				continue;
			}
			g_assert_cmpstr(format, ==, "protobuf");
			g_assert_no_error(error);
			g_assert_nonnull(p);
			g_assert_cmpuint(g_bytes_get_size(dat), ==, json_u32(part, "dat_len"));
			g_assert_cmpuint(p->init_offset + p->init_len, <=, g_bytes_get_size(dat));
			check_fields(part, p);
			check_hash(zip_path, part, p);
			check_signature(part, dat, p, all_keys);
			check_reencode(dat, p);
			n_protobuf++;
			n_signed += p->is_signed ? 1 : 0;
		}
	}
	g_test_message("%u Secure DFU init packets (%u signed), %u legacy refused",
		       n_protobuf,
		       n_signed,
		       n_legacy);
	g_assert_cmpuint(n_protobuf, >, 40);
	g_assert_cmpuint(n_legacy, >, 10);
}

/* the founding package: nrfutil 6 and older tools, signed with the seed key pair */
static void
test_seed(void)
{
	static const gchar *zips[] = {"seed-app-only.zip",
				      "seed-app-only.nrfutil6.zip",
				      "seed-merged-hex.zip",
				      "seed-merged-hex.nrfutil6.zip"};
	g_autofree gchar *seed = NULL;
	g_autofree gchar *priv_path = NULL;
	g_autofree gchar *pub_path = NULL;
	g_autofree gchar *le_path = NULL;
	g_autoptr(BdfuKey) priv = NULL;
	g_autoptr(BdfuKey) pub = NULL;
	g_autoptr(BdfuKey) raw = NULL;
	g_autoptr(GBytes) le_txt = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree guint8 *le = NULL;
	guint8 out[64];
	gsize le_len = 0;

	if (skip_without_fixtures())
		return;
	seed = g_build_filename(fixtures_dir(), "seed", NULL);
	priv_path = g_build_filename(seed, "seed-key.pem", NULL);
	pub_path = g_build_filename(seed, "seed-key.pub.pem", NULL);
	le_path = g_build_filename(seed, "seed-key.pub.le.txt", NULL);
	priv = load_key(priv_path);
	pub = load_key(pub_path);
	g_assert_true(bdfu_key_has_private(priv));
	g_assert_false(bdfu_key_has_private(pub));

	/* the second line of the .le.txt is what nrfutil keys display prints */
	le_txt = read_file(le_path);
	lines = g_strsplit(g_bytes_get_data(le_txt, NULL), "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), >=, 2);
	le = hex_decode(g_strstrip(lines[1]), &le_len);
	g_assert_cmpuint(le_len, ==, 64);
	raw = bdfu_key_new_from_raw_le(le, le_len, &error);
	g_assert_no_error(error);
	g_assert_true(bdfu_key_get_raw_le(priv, out));
	g_assert_cmpmem(out, 64, le, 64);
	g_assert_true(bdfu_key_get_raw_le(pub, out));
	g_assert_cmpmem(out, 64, le, 64);

	for (guint i = 0; i < G_N_ELEMENTS(zips); i++) {
		g_autofree gchar *zip_path = g_build_filename(seed, zips[i], NULL);
		g_autofree gchar *manifest_text = NULL;
		g_autoptr(GBytes) manifest = zip_read(zip_path, "manifest.json");
		g_autoptr(cJSON) json = NULL;
		g_autoptr(GBytes) dat = NULL;
		g_autoptr(GBytes) bin = NULL;
		g_autoptr(BdfuInitPacket) p = NULL;
		const cJSON *app;
		const guint8 *d;
		gsize len;

		g_assert_nonnull(manifest);
		manifest_text =
		    g_strndup(g_bytes_get_data(manifest, NULL), g_bytes_get_size(manifest));
		json = cJSON_Parse(manifest_text);
		app = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "manifest"), "application");
		g_assert_nonnull(app);
		dat = zip_read(zip_path, cJSON_GetObjectItem(app, "dat_file")->valuestring);
		bin = zip_read(zip_path, cJSON_GetObjectItem(app, "bin_file")->valuestring);
		d = g_bytes_get_data(dat, &len);
		p = bdfu_init_packet_parse(d, len, &error);
		g_assert_no_error(error);
		g_assert_true(p->is_signed);
		g_assert_cmpuint(p->hw_version, ==, 52);
		g_assert_cmpuint(p->type, ==, BDFU_FW_TYPE_APPLICATION);
		g_assert_cmpuint(p->app_size, ==, g_bytes_get_size(bin));
		g_assert_cmpint(bdfu_init_packet_check_hash(
				    p, g_bytes_get_data(bin, NULL), g_bytes_get_size(bin)),
				==,
				BDFU_HASH_CHECK_MATCH);
		g_assert_cmpint(bdfu_init_packet_verify(p, d, len, priv), ==, BDFU_SIGNATURE_VALID);
		g_assert_cmpint(bdfu_init_packet_verify(p, d, len, pub), ==, BDFU_SIGNATURE_VALID);
		g_assert_cmpint(bdfu_init_packet_verify(p, d, len, raw), ==, BDFU_SIGNATURE_VALID);
	}
}

/* every published public key: PEM and the le_hex of keys.json are the same point */
static void
test_fixture_keys(void)
{
	g_autofree gchar *json_path = NULL;
	g_autofree gchar *nordic_path = NULL;
	g_autoptr(cJSON) keys = NULL;
	g_autoptr(BdfuKey) nordic = NULL;
	const cJSON *entry;
	guint n = 0;

	if (skip_without_fixtures())
		return;
	json_path = g_build_filename(fixtures_dir(), "keys", "keys.json", NULL);
	keys = load_json(json_path);
	cJSON_ArrayForEach(entry, keys)
	{
		const gchar *pem = cJSON_GetObjectItem(entry, "pem")->valuestring;
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuKey) key = bdfu_key_new_from_pem(pem, strlen(pem), &error);
		g_autoptr(BdfuKey) raw = NULL;
		g_autofree guint8 *le = NULL;
		g_autofree gchar *pem_out = NULL;
		guint8 out[64];
		gsize le_len;

		g_assert_no_error(error);
		g_assert_false(bdfu_key_has_private(key));
		le = hex_decode(cJSON_GetObjectItem(entry, "le_hex")->valuestring, &le_len);
		g_assert_true(bdfu_key_get_raw_le(key, out));
		g_assert_cmpmem(out, 64, le, le_len);
		raw = bdfu_key_new_from_raw_le(le, le_len, &error);
		g_assert_no_error(error);
		pem_out = bdfu_key_to_public_pem(raw);
		g_assert_cmpstr(pem_out, ==, pem);
		n++;
	}
	g_assert_cmpuint(n, >=, 10);

	/* Nordic's published private test key (nrfutil's tests) */
	nordic_path = g_build_filename(fixtures_dir(), "keys", "pc-nrfutil_tests_key.pem", NULL);
	nordic = load_key(nordic_path);
	g_assert_true(bdfu_key_has_private(nordic));
}

/* keys --------------------------------------------------------------------------------------- */

/* generated for this test with openssl: wrong curve and wrong algorithm */
static const gchar p384_public_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEPNtJCsbMwStIaCDrLtBcBlAUeOL43IhJ\n"
    "+SpB0jfEKRcJqLQ2fpk5OWKKPOL0rLqV2cIixJ3LLxjIWDwOIzxp7PuHjcAz48eE\n"
    "Pz2FNoSoJXWEpfdR18/WDqu/NEHx4jWf\n"
    "-----END PUBLIC KEY-----\n";
static const gchar rsa_public_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAJWRA8o5wY3LT7y81OITIBdnxvukpPvF\n"
    "0MKpbD9vRnzlLuR7jgDTpA1gzj7cNX5z+usl7kWK9dwXpd+bfpee8msCAwEAAQ==\n"
    "-----END PUBLIC KEY-----\n";

static void
assert_key_error(const gchar *pem, gsize len, const gchar *needle)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuKey) key = bdfu_key_new_from_pem(pem, len, &error);
	g_assert_null(key);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
	if (strstr(error->message, needle) == NULL)
		g_error("expected \"%s\" in \"%s\"", needle, error->message);
}

static void
test_key_errors(void)
{
	static const gchar garbage[] = "this is not a key\n";
	static const gchar bad_body[] =
	    "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
	static const gchar encrypted[] =
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
	static const guint8 not_on_curve[64] = {1, 2, 3};
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuKey) raw = NULL;

	assert_key_error(p384_public_pem, strlen(p384_public_pem), "curve secp384r1");
	assert_key_error(rsa_public_pem, strlen(rsa_public_pem), "not an elliptic-curve key");
	assert_key_error(garbage, strlen(garbage), "not a PEM key");
	assert_key_error(bad_body, strlen(bad_body), "does not decode");
	assert_key_error(encrypted, strlen(encrypted), "encrypted");
	assert_key_error("", 0, "expected a PEM key");

	raw = bdfu_key_new_from_raw_le(not_on_curve, 64, &error);
	g_assert_null(raw);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "not a point on NIST P-256"));
	g_clear_error(&error);
	raw = bdfu_key_new_from_raw_le(not_on_curve, 33, &error);
	g_assert_null(raw);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "expected 64"));
}

static gchar *
to_pkcs8(const gchar *sec1)
{
	BIO *in = BIO_new_mem_buf(sec1, -1);
	BIO *out = BIO_new(BIO_s_mem());
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	char *ptr = NULL;
	long n;
	gchar *pem;
	g_assert_nonnull(pkey);
	g_assert_true(PEM_write_bio_PrivateKey(out, pkey, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(out, &ptr);
	pem = g_strndup(ptr, (gsize)n);
	EVP_PKEY_free(pkey);
	BIO_free(in);
	BIO_free(out);
	return pem;
}

static void
test_key_roundtrip(void)
{
	static const guint8 msg[] = "the signed bytes";
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuKey) key = bdfu_key_generate(&error);
	g_autoptr(BdfuKey) again = NULL;
	g_autoptr(BdfuKey) pkcs8 = NULL;
	g_autoptr(BdfuKey) pub = NULL;
	g_autoptr(BdfuKey) raw = NULL;
	g_autofree gchar *priv_pem = NULL;
	g_autofree gchar *pkcs8_pem = NULL;
	g_autofree gchar *pub_pem = NULL;
	guint8 le[64], le2[64], sig[64];

	g_assert_no_error(error);
	g_assert_true(bdfu_key_has_private(key));
	priv_pem = bdfu_key_to_private_pem(key);
	/* nrfutil's key file format */
	g_assert_true(g_str_has_prefix(priv_pem, "-----BEGIN EC PRIVATE KEY-----\n"));
	again = bdfu_key_new_from_pem(priv_pem, strlen(priv_pem), &error);
	g_assert_no_error(error);
	g_assert_true(bdfu_key_has_private(again));
	pkcs8_pem = to_pkcs8(priv_pem);
	g_assert_true(g_str_has_prefix(pkcs8_pem, "-----BEGIN PRIVATE KEY-----\n"));
	pkcs8 = bdfu_key_new_from_pem(pkcs8_pem, strlen(pkcs8_pem), &error);
	g_assert_no_error(error);
	g_assert_true(bdfu_key_has_private(pkcs8));

	pub_pem = bdfu_key_to_public_pem(key);
	g_assert_true(g_str_has_prefix(pub_pem, "-----BEGIN PUBLIC KEY-----\n"));
	pub = bdfu_key_new_from_pem(pub_pem, strlen(pub_pem), &error);
	g_assert_no_error(error);
	g_assert_false(bdfu_key_has_private(pub));
	g_assert_null(bdfu_key_to_private_pem(pub));
	g_assert_true(bdfu_key_get_raw_le(key, le));
	g_assert_true(bdfu_key_get_raw_le(pkcs8, le2));
	g_assert_cmpmem(le, 64, le2, 64);
	raw = bdfu_key_new_from_raw_le(le, 64, &error);
	g_assert_no_error(error);

	g_assert_true(bdfu_key_sign_le(pkcs8, msg, sizeof(msg), sig, &error));
	g_assert_no_error(error);
	g_assert_true(bdfu_key_verify_le(raw, msg, sizeof(msg), sig));
	g_assert_true(bdfu_key_verify_le(pub, msg, sizeof(msg), sig));
	g_assert_false(bdfu_key_verify_le(raw, msg, sizeof(msg) - 1, sig));
	/* big-endian r, s (the wrong byte order) must not verify */
	{
		guint8 be[64];
		for (guint i = 0; i < 32; i++) {
			be[i] = sig[31 - i];
			be[32 + i] = sig[63 - i];
		}
		g_assert_false(bdfu_key_verify_le(raw, msg, sizeof(msg), be));
	}
	/* a public key cannot sign */
	g_assert_false(bdfu_key_sign_le(pub, msg, sizeof(msg), sig, &error));
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "needs a private key"));
}

/* encode ------------------------------------------------------------------------------------- */

static BdfuInitPacket *
nrfutil_like_app(void)
{
	BdfuInitPacket *p = g_new0(BdfuInitPacket, 1);
	p->has_fw_version = p->has_hw_version = p->has_type = TRUE;
	p->has_sd_size = p->has_bl_size = p->has_app_size = p->has_hash = p->has_is_debug = TRUE;
	p->fw_version = 1;
	p->hw_version = 52;
	p->sd_req_len = 2;
	p->sd_req[0] = 0x9D;
	p->sd_req[1] = 0xCAFE;
	p->type = BDFU_FW_TYPE_APPLICATION;
	p->app_size = 4;
	p->hash_type = BDFU_HASH_TYPE_SHA256;
	p->hash_len = 32;
	bdfu_init_packet_hash_image((const guint8 *)"\x01\x02\x03\x04", 4, p->hash);
	p->boot_validation_len = 1;
	p->boot_validation[0].type = BDFU_VALIDATION_GENERATED_CRC;
	return p;
}

static void
test_encode(void)
{
	/* op_code, then every set field in tag order, zero values included, sd_req packed */
	static const guint8 expected_head[] = {
	    0x0A,
	    0x45, /* Packet.command */
	    0x08,
	    0x01, /* op_code INIT */
	    0x12,
	    0x41, /* init */
	    0x08,
	    0x01,
	    0x10,
	    0x34, /* fw_version 1, hw_version 52 */
	    0x1A,
	    0x05,
	    0x9D,
	    0x01,
	    0xFE,
	    0x95,
	    0x03, /* sd_req packed [0x9D, 0xCAFE] */
	};
	g_autoptr(BdfuInitPacket) p = nrfutil_like_app();
	g_autoptr(BdfuInitPacket) back = NULL;
	g_autoptr(BdfuInitPacket) signed_back = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) out = NULL;
	g_autoptr(GBytes) signed_out = NULL;
	g_autoptr(BdfuKey) key = bdfu_key_generate(&error);
	g_autoptr(BdfuKey) other = bdfu_key_generate(&error);
	g_autofree gchar *pub_pem = NULL;
	g_autoptr(BdfuKey) pub = NULL;
	const guint8 *d, *sd;
	gsize len, slen;

	g_assert_no_error(error);
	out = bdfu_init_packet_encode(p, NULL, &error);
	g_assert_no_error(error);
	d = g_bytes_get_data(out, &len);
	g_assert_cmpuint(len, ==, 71);
	g_assert_cmpmem(d, sizeof(expected_head), expected_head, sizeof(expected_head));
	/* type 0, sd_size 0, bl_size 0, app_size 4: zeros are written */
	g_assert_cmpmem(d + sizeof(expected_head), 8, "\x20\x00\x28\x00\x30\x00\x38\x04", 8);
	/* is_debug false and a CRC boot validation with empty bytes close the packet */
	g_assert_cmpmem(d + len - 8, 8, "\x48\x00\x52\x04\x08\x01\x12\x00", 8);
	back = bdfu_init_packet_parse(d, len, &error);
	g_assert_no_error(error);
	g_assert_false(back->is_signed);
	g_assert_true(back->has_is_debug);
	g_assert_false(back->is_debug);
	g_assert_cmpint(bdfu_init_packet_check_hash(back, (const guint8 *)"\x01\x02\x03\x04", 4),
			==,
			BDFU_HASH_CHECK_MATCH);

	signed_out = bdfu_init_packet_encode(p, key, &error);
	g_assert_no_error(error);
	sd = g_bytes_get_data(signed_out, &slen);
	g_assert_cmpuint(sd[0], ==, 0x12);
	signed_back = bdfu_init_packet_parse(sd, slen, &error);
	g_assert_no_error(error);
	g_assert_true(signed_back->is_signed);
	g_assert_cmpmem(sd + signed_back->init_offset,
			signed_back->init_len,
			d + back->init_offset,
			back->init_len);
	pub_pem = bdfu_key_to_public_pem(key);
	pub = bdfu_key_new_from_pem(pub_pem, strlen(pub_pem), &error);
	g_assert_no_error(error);
	g_assert_cmpint(
	    bdfu_init_packet_verify(signed_back, sd, slen, pub), ==, BDFU_SIGNATURE_VALID);
	g_assert_cmpint(
	    bdfu_init_packet_verify(signed_back, sd, slen, other), ==, BDFU_SIGNATURE_INVALID);

	/* signing with a public key is a usage error */
	g_clear_pointer(&signed_out, g_bytes_unref);
	signed_out = bdfu_init_packet_encode(p, pub, &error);
	g_assert_null(signed_out);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "needs a private key"));
}

static void
test_hash_unsupported(void)
{
	g_autoptr(BdfuInitPacket) p = nrfutil_like_app();
	static const guint8 image[] = {1, 2, 3, 4};
	g_assert_cmpint(bdfu_init_packet_check_hash(p, image, 4), ==, BDFU_HASH_CHECK_MATCH);
	p->hash_type = BDFU_HASH_TYPE_CRC;
	g_assert_cmpint(bdfu_init_packet_check_hash(p, image, 4), ==, BDFU_HASH_CHECK_UNSUPPORTED);
	p->hash_type = BDFU_HASH_TYPE_SHA256;
	p->has_hash = FALSE;
	g_assert_cmpint(bdfu_init_packet_check_hash(p, image, 4), ==, BDFU_HASH_CHECK_UNSUPPORTED);
	g_assert_cmpstr(bdfu_fw_type_to_string(BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER),
			==,
			"softdevice_bootloader");
	g_assert_cmpstr(bdfu_fw_type_to_string(99), ==, "unknown");
	g_assert_cmpstr(bdfu_signature_check_to_string(BDFU_SIGNATURE_UNCHECKED), ==, "unchecked");
}

/* hostile packets ---------------------------------------------------------------------------- */

typedef struct {
	const gchar *name;
	const gchar *hex;
	const gchar *message; /* a substring of the error */
} HostileCase;

static const HostileCase hostile[] = {
    {"garbage", "ffffffffffffffffffffffff", "not protobuf"},
    {"truncated-length", "0a10", "runs past the end"},
    {"wire-type-7", "0f", "wire type 7"},
    {"group-wire-type", "0b", "wire type 3"},
    {"command-as-varint", "0801", "Packet.command has wire type 0"},
    {"neither", "1801", "neither command nor signed_command"},
    {"both",
     "0a0408011200"
     "1200",
     "both command and signed_command"},
    {"command-twice",
     "0a0408011200"
     "0a0408011200",
     "Packet.command more than once"},
    {"no-init", "0a020801", "no InitCommand"},
    {"init-twice",
     "0a0608011200"
     "1200",
     "Command.init more than once"},
    {"no-op-code", "0a021200", "no op_code"},
    {"op-code-reset", "0a0408001200", "op_code 0, not INIT"},
    {"op-code-reset-cmd", "0a0608001a020801", "no InitCommand"},
    /* Hash.hash of 33 bytes */
    {"hash-33",
     "0a2b08011227"
     "4225"
     "0803"
     "1221"
     "000102030405060708090a0b0c0d0e0f"
     "101112131415161718191a1b1c1d1e1f20",
     "firmware hash is 33 bytes"},
    {"hash-missing-type",
     "0a0808011204"
     "42021200",
     "not a valid dfu.Packet"},
    /* 17 packed sd_req entries */
    {"sd-req-17-packed",
     "0a17080112131a11"
     "0102030405060708090a0b0c0d0e0f1011",
     "17 SoftDevice requirements"},
    {"sd-req-packed-truncated", "0a07080112031a0180", "packed sd_req is truncated"},
    /* 17 unpacked entries */
    {"sd-req-17-unpacked",
     "0a26080112221801180218031804180518061807180818091810181118121813181418151816"
     "1817",
     "17 SoftDevice requirements"},
    {"boot-validation-4",
     "0a1408011210"
     "52020801"
     "52020801"
     "52020801"
     "52020801",
     "4 boot validations"},
    {"boot-validation-bytes-65",
     "0a4b08011247"
     "5245"
     "0803"
     "1241"
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40",
     "boot validation is 65 bytes"},
    {"signed-no-signature",
     "120a0a0608011202"
     "0801"
     "1000",
     "has no signature"},
    {"signed-no-command",
     "12041000"
     "1a00",
     "signed_command has no command"},
    {"signed-no-signature-type",
     "120a0a0608011202"
     "0801"
     "1a00",
     "not a valid dfu.Packet"},
    {"signature-65",
     "124d0a0608011202"
     "0801"
     "1000"
     "1a41"
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40",
     "signature is 65 bytes"},
    {"varint-too-long", "0a100801120c10ffffffffffffffffffff01", "not protobuf"},
    {"key-overflow", "ffffffffffffffffffff01", "bad field key"},
    {"tag-zero", "0001", "bad field key"},
};

static void
test_hostile(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(hostile); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuInitPacket) p = NULL;
		g_autofree guint8 *data = NULL;
		gsize len;

		g_test_message("%s", hostile[i].name);
		data = hex_decode(hostile[i].hex, &len);
		p = bdfu_init_packet_parse(data, len, &error);
		g_assert_null(p);
		g_assert_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE);
		if (strstr(error->message, hostile[i].message) == NULL)
			g_error("%s: expected \"%s\" in \"%s\"",
				hostile[i].name,
				hostile[i].message,
				error->message);
	}
}

static void
test_limits(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuInitPacket) p = NULL;
	g_autofree guint8 *big = g_malloc0(BDFU_INIT_PACKET_MAX_SIZE + 1);

	p = bdfu_init_packet_parse((const guint8 *)"", 0, &error);
	g_assert_null(p);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE);
	g_assert_cmpstr(error->message, ==, "init packet is empty");
	g_clear_error(&error);
	p = bdfu_init_packet_parse(big, BDFU_INIT_PACKET_MAX_SIZE + 1, &error);
	g_assert_null(p);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_BAD_PACKAGE);
	g_assert_cmpstr(error->message, ==, "init packet is 513 bytes, over the 512-byte limit");
}

/* odd but valid encodings: what a bootloader accepts, we read */
static void
test_unusual_encodings(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuInitPacket) p = NULL;
	g_autoptr(BdfuInitPacket) q = NULL;
	g_autoptr(BdfuInitPacket) r = NULL;
	g_autofree guint8 *unpacked = NULL;
	g_autofree guint8 *minimal = NULL;
	g_autofree guint8 *unknown = NULL;
	gsize len;

	/* sd_req written unpacked (tag 3, wire type 0), then an unknown type value 9 */
	unpacked = hex_decode("0a0d08011209"
			      "189d01"
			      "18fe9503"
			      "2009",
			      &len);
	p = bdfu_init_packet_parse(unpacked, len, &error);
	g_assert_no_error(error);
	g_assert_false(p->sd_req_packed);
	g_assert_cmpuint(p->sd_req_len, ==, 2);
	g_assert_cmpuint(p->sd_req[0], ==, 0x9D);
	g_assert_cmpuint(p->sd_req[1], ==, 0xCAFE);
	g_assert_true(p->has_type);
	g_assert_cmpuint(p->type, ==, 9);
	g_assert_cmpstr(bdfu_fw_type_to_string(p->type), ==, "unknown");
	g_assert_cmpuint(p->init_offset, ==, 6);
	g_assert_cmpuint(p->init_len, ==, 9);

	/* an empty InitCommand: nothing is present, and presence says so */
	minimal = hex_decode("0a0408011200", &len);
	q = bdfu_init_packet_parse(minimal, len, &error);
	g_assert_no_error(error);
	g_assert_true(q->has_init);
	g_assert_false(q->has_fw_version || q->has_hw_version || q->has_type || q->has_hash ||
		       q->has_is_debug || q->has_app_size);
	g_assert_cmpuint(q->sd_req_len, ==, 0);
	g_assert_cmpuint(q->init_len, ==, 0);
	g_assert_cmpint(bdfu_init_packet_verify(q, minimal, len, NULL), ==, BDFU_SIGNATURE_ABSENT);

	/* unknown fields everywhere (and an SDK 12 reset command) are skipped */
	unknown = hex_decode("0a0f08011207"
			     "08017d00000000"
			     "1a020801"
			     "2a00",
			     &len);
	r = bdfu_init_packet_parse(unknown, len, &error);
	g_assert_no_error(error);
	g_assert_true(r->has_fw_version);
	g_assert_cmpuint(r->fw_version, ==, 1);
}

/* what the bootloader refuses before checking the signature is never "valid" (§8.1 step 2) */
static void
test_verify_refusals(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuKey) key = bdfu_key_generate(&error);
	g_autoptr(BdfuInitPacket) orig = nrfutil_like_app();
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(BdfuInitPacket) p = NULL;
	g_autoptr(BdfuInitPacket) shortsig = NULL;
	g_autofree guint8 *bytes = NULL;
	const guint8 *d;
	gsize len;

	g_assert_no_error(error);
	enc = bdfu_init_packet_encode(orig, key, &error);
	g_assert_no_error(error);
	d = g_bytes_get_data(enc, &len);
	p = bdfu_init_packet_parse(d, len, &error);
	g_assert_no_error(error);
	g_assert_cmpint(bdfu_init_packet_verify(p, d, len, key), ==, BDFU_SIGNATURE_VALID);
	/* data that ends inside the signed bytes */
	g_assert_cmpint(bdfu_init_packet_verify(p, d, p->init_offset + p->init_len - 1, key),
			==,
			BDFU_SIGNATURE_INVALID);
	p->signature_type = BDFU_SIGNATURE_TYPE_ED25519;
	g_assert_cmpint(bdfu_init_packet_verify(p, d, len, key), ==, BDFU_SIGNATURE_INVALID);
	p->signature_type = BDFU_SIGNATURE_TYPE_ECDSA_P256_SHA256;
	p->signature_len = 63;
	g_assert_cmpint(bdfu_init_packet_verify(p, d, len, key), ==, BDFU_SIGNATURE_INVALID);

	/* a 63-byte signature on the wire parses, and does not verify */
	bytes = g_malloc0(75);
	memcpy(bytes, "\x12\x49\x0a\x04\x08\x01\x12\x00\x10\x00\x1a\x3f", 12);
	len = 75;
	shortsig = bdfu_init_packet_parse(bytes, len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(shortsig->signature_len, ==, 63);
	g_assert_cmpint(
	    bdfu_init_packet_verify(shortsig, bytes, len, key), ==, BDFU_SIGNATURE_INVALID);
}

/* the parse result owns nothing from its input */
static void
test_independent(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuInitPacket) p = NULL;
	g_autoptr(BdfuInitPacket) orig = nrfutil_like_app();
	g_autoptr(GBytes) enc = bdfu_init_packet_encode(orig, NULL, &error);
	g_autofree guint8 *copy = g_memdup2(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc));
	gsize len = g_bytes_get_size(enc);

	g_assert_no_error(error);
	p = bdfu_init_packet_parse(copy, len, &error);
	g_assert_no_error(error);
	memset(copy, 0xAA, len);
	g_clear_pointer(&copy, g_free);
	g_assert_cmpmem(p->hash, 32, orig->hash, 32);
	g_assert_cmpuint(p->sd_req[1], ==, 0xCAFE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/init-packet/fixtures", test_fixtures);
	g_test_add_func("/init-packet/seed", test_seed);
	g_test_add_func("/init-packet/fixture-keys", test_fixture_keys);
	g_test_add_func("/init-packet/key-errors", test_key_errors);
	g_test_add_func("/init-packet/key-roundtrip", test_key_roundtrip);
	g_test_add_func("/init-packet/encode", test_encode);
	g_test_add_func("/init-packet/hash-unsupported", test_hash_unsupported);
	g_test_add_func("/init-packet/hostile", test_hostile);
	g_test_add_func("/init-packet/limits", test_limits);
	g_test_add_func("/init-packet/unusual-encodings", test_unusual_encodings);
	g_test_add_func("/init-packet/independent", test_independent);
	g_test_add_func("/init-packet/verify-refusals", test_verify_refusals);
	return g_test_run();
}
