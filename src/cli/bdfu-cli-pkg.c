/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "bluedfu/bdfu-error.h"
#include "cli/bdfu-cli.h"
#include "core/bdfu-ihex.h"
#include "core/bdfu-image.h"
#include "core/bdfu-package.h"

/* `pkg generate` and `keys`: nrfutil-compatible packages, except that an application made from
 * a merged MBR+SoftDevice+app hex is refused instead of silently shipped. */

typedef struct {
	gchar *path;
	gchar *name; /* entry base name without extension */
	GBytes *image;
} BdfuPkgInput;

static void
bdfu_pkg_input_clear(BdfuPkgInput *input)
{
	g_free(input->path);
	g_free(input->name);
	g_clear_pointer(&input->image, g_bytes_unref);
}

static gboolean
bdfu_pkg_load(const gchar *path, guint32 min_address, BdfuPkgInput *input, GError **error)
{
	g_autofree gchar *contents = NULL;
	g_autofree gchar *base = g_path_get_basename(path);
	gchar *dot = strrchr(base, '.');
	gsize len = 0;

	if (!g_file_get_contents(path, &contents, &len, error)) {
		(*error)->domain = BDFU_ERROR;
		(*error)->code = BDFU_ERROR_INVALID_ARGUMENT;
		return FALSE;
	}
	if (dot != NULL)
		*dot = '\0';
	input->path = g_strdup(path);
	input->name = g_strdup(base);
	if (g_str_has_suffix(path, ".hex") || g_str_has_suffix(path, ".ihex")) {
		g_autoptr(BdfuIhexImage) hex = bdfu_ihex_parse(contents, len, min_address, error);
		if (hex == NULL) {
			g_prefix_error(error, "%s: ", path);
			return FALSE;
		}
		input->image = g_bytes_ref(hex->image);
		return TRUE;
	}
	if (len == 0 || len > BDFU_IHEX_MAX_IMAGE) {
		g_set_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT,
			    "%s: %" G_GSIZE_FORMAT " bytes is not a firmware image size", path, len);
		return FALSE;
	}
	/* nrfutil pads binaries to a multiple of 4 */
	{
		gsize padded = (len + 3) & ~(gsize)3;
		guint8 *buf = g_malloc(padded);
		memcpy(buf, contents, len);
		memset(buf + len, 0xFF, padded - len);
		input->image = g_bytes_new_take(buf, padded);
	}
	return TRUE;
}

static gboolean
bdfu_pkg_parse_list(const gchar *text, guint32 *out, guint *n, GError **error)
{
	g_auto(GStrv) items = NULL;
	*n = 0;
	if (text == NULL)
		return TRUE;
	items = g_strsplit(text, ",", -1);
	for (guint i = 0; items[i] != NULL; i++) {
		gchar *end = NULL;
		guint64 v = g_ascii_strtoull(g_strstrip(items[i]), &end, 0);
		if (end == items[i] || *end != '\0' || v > 0xFFFF || *n >= BDFU_INIT_SD_REQ_MAX) {
			g_set_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT,
				    "'%s' is not a list of SoftDevice FWIDs like 0x9D,0xA5", text);
			return FALSE;
		}
		out[(*n)++] = (guint32)v;
	}
	return TRUE;
}

static gboolean
bdfu_pkg_validation_type(const gchar *text, guint32 *type, GError **error)
{
	const gchar *names[] = {"NO_VALIDATION", "VALIDATE_GENERATED_CRC", "VALIDATE_SHA256",
				"VALIDATE_ECDSA_P256_SHA256"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(text, names[i]) == 0) {
			*type = i;
			return TRUE;
		}
	}
	g_set_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT,
		    "unknown boot validation '%s' (NO_VALIDATION, VALIDATE_GENERATED_CRC, "
		    "VALIDATE_SHA256, VALIDATE_ECDSA_P256_SHA256)", text);
	return FALSE;
}

typedef struct {
	guint32 hw_version;
	gboolean debug;
	const BdfuKey *key;
} BdfuPkgCommon;

static gboolean
bdfu_pkg_add_validation(BdfuInitPacket *init,
			guint32 type,
			GBytes *image,
			const BdfuKey *key,
			GError **error)
{
	BdfuBootValidation *bv = &init->boot_validation[init->boot_validation_len++];
	bv->type = type;
	bv->bytes_len = 0;
	if (type == BDFU_VALIDATION_ECDSA_P256_SHA256) {
		gsize len = 0;
		const guint8 *data = g_bytes_get_data(image, &len);
		if (key == NULL) {
			g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT,
					    "VALIDATE_ECDSA_P256_SHA256 needs --key-file");
			return FALSE;
		}
		/* ECDSA-P256-SHA256 over the image itself: the hashing is part of the signature
		 * (PROTOCOL.md §6.5) */
		if (!bdfu_key_sign_le(key, data, len, bv->bytes, error))
			return FALSE;
		bv->bytes_len = 64;
	}
	return TRUE;
}

static GBytes *
bdfu_pkg_init_packet(const BdfuPkgCommon *common,
		     BdfuFwType type,
		     guint32 fw_version,
		     const guint32 *sd_req,
		     guint sd_req_len,
		     GBytes *image,
		     guint32 sd_size,
		     guint32 bl_size,
		     const guint32 *validations,
		     guint n_validations,
		     GBytes *validation_image,
		     GError **error)
{
	BdfuInitPacket init = {0};
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(image, &len);

	init.has_fw_version = init.has_hw_version = init.has_type = TRUE;
	init.has_sd_size = init.has_bl_size = init.has_app_size = TRUE;
	init.has_hash = init.has_is_debug = TRUE;
	init.fw_version = fw_version;
	init.hw_version = common->hw_version;
	init.type = type;
	init.sd_req_len = sd_req_len;
	memcpy(init.sd_req, sd_req, sd_req_len * sizeof(guint32));
	init.sd_size = sd_size;
	init.bl_size = bl_size;
	init.app_size = type == BDFU_FW_TYPE_APPLICATION ? (guint32)len : 0;
	init.hash_type = BDFU_HASH_TYPE_SHA256;
	init.hash_len = 32;
	bdfu_init_packet_hash_image(data, len, init.hash);
	init.is_debug = common->debug;
	for (guint i = 0; i < n_validations; i++) {
		if (!bdfu_pkg_add_validation(&init, validations[i],
					     i == 0 ? validation_image : image, common->key, error))
			return NULL;
	}
	return bdfu_init_packet_encode(&init, common->key, error);
}

/* the founding user's trap: refuse to package a SoftDevice as an application */
static gboolean
bdfu_pkg_check_application(BdfuPkgInput *app, gboolean strip, guint32 *strip_from, GError **error)
{
	BdfuSdInfoStruct info;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(app->image, &len);
	g_autofree gchar *sd = NULL;

	if (!bdfu_image_find_sd_info(data, len, &info))
		return TRUE;
	sd = bdfu_softdevice_describe(info.fwid);
	*strip_from = (info.sd_end + 0xFFF) & ~0xFFFu;
	if (strip && g_str_has_suffix(app->path, ".hex"))
		return TRUE;
	g_set_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT,
		    "%s contains SoftDevice %s: it is a merged MBR+SoftDevice+application hex. "
		    "Packaged as an application it reaches 100 %% and never runs (the bootloader "
		    "jumps into the copy of the SoftDevice).\nFix: use your build's application-only "
		    "hex, or add --strip-softdevice to keep only what lies at 0x%X and above",
		    app->path, sd, *strip_from);
	return FALSE;
}

typedef struct {
	BdfuPkgInput app;
	BdfuPkgInput bl;
	BdfuPkgInput sd;
} BdfuPkgInputs;

static void
bdfu_pkg_inputs_clear(BdfuPkgInputs *inputs)
{
	bdfu_pkg_input_clear(&inputs->app);
	bdfu_pkg_input_clear(&inputs->bl);
	bdfu_pkg_input_clear(&inputs->sd);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BdfuPkgInputs, bdfu_pkg_inputs_clear)

typedef struct {
	gchar *application, *bootloader, *softdevice;
	gchar *sd_req_text, *sd_id_text, *key_file, *app_bv_text, *sd_bv_text;
	gint64 app_version, bl_version;
	gint hw_version;
	gboolean debug, strip;
} BdfuPkgArgs;

static void
bdfu_pkg_args_clear(BdfuPkgArgs *args)
{
	g_free(args->application);
	g_free(args->bootloader);
	g_free(args->softdevice);
	g_free(args->sd_req_text);
	g_free(args->sd_id_text);
	g_free(args->key_file);
	g_free(args->app_bv_text);
	g_free(args->sd_bv_text);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BdfuPkgArgs, bdfu_pkg_args_clear)

static gboolean
bdfu_pkg_check_args(const BdfuPkgArgs *a, int argc)
{
	const gchar *problem = NULL;
	if (argc != 2 || (a->application == NULL && a->bootloader == NULL && a->softdevice == NULL))
		problem = "expected OUTPUT.zip and at least one of --application, --bootloader, "
			  "--softdevice";
	else if (a->application != NULL && a->bootloader != NULL && a->softdevice == NULL)
		problem = "a bootloader and an application go in two packages (the bootloader "
			  "accepts one image per cycle)";
	else if (a->sd_req_text == NULL && !a->debug)
		problem = "--sd-req is required (0x00 for no SoftDevice)";
	else if (a->hw_version < 0)
		problem = "--hw-version is required (52 for nRF52)";
	else if (a->bootloader != NULL && a->bl_version < 0)
		problem = "--bootloader-version is required with --bootloader";
	else if (a->app_version < 0 || a->app_version > G_MAXUINT32 || a->bl_version > G_MAXUINT32)
		problem = "versions are 0..4294967295";
	if (problem != NULL)
		g_printerr("bluedfu pkg generate: %s\n", problem);
	return problem == NULL;
}

static gboolean
bdfu_pkg_load_inputs(const BdfuPkgArgs *a, BdfuPkgInputs *in, GError **error)
{
	if (a->bootloader != NULL && !bdfu_pkg_load(a->bootloader, 0, &in->bl, error))
		return FALSE;
	if (a->softdevice != NULL && !bdfu_pkg_load(a->softdevice, 0, &in->sd, error))
		return FALSE;
	if (a->application != NULL) {
		guint32 strip_from = 0;
		if (!bdfu_pkg_load(a->application, 0, &in->app, error))
			return FALSE;
		if (!bdfu_pkg_check_application(&in->app, a->strip, &strip_from, error))
			return FALSE;
		if (strip_from != 0) {
			bdfu_pkg_input_clear(&in->app);
			if (!bdfu_pkg_load(a->application, strip_from, &in->app, error))
				return FALSE;
		}
	}
	return TRUE;
}

/* builds the parts: SD+BL (or SD, or BL) first, then the application (PROTOCOL.md §4.1) */
static gboolean
bdfu_pkg_build(const BdfuPkgArgs *a,
	       BdfuPkgInputs *in,
	       const BdfuPkgCommon *common,
	       BdfuPackageWriter *writer,
	       GError **error)
{
	guint32 sd_req[BDFU_INIT_SD_REQ_MAX * 2], sd_id[BDFU_INIT_SD_REQ_MAX];
	guint n_sd_req = 0, n_sd_id = 0;
	guint32 app_bv = BDFU_VALIDATION_GENERATED_CRC, sd_bv = BDFU_VALIDATION_GENERATED_CRC;

	if (!bdfu_pkg_parse_list(a->sd_req_text != NULL ? a->sd_req_text : "0xFFFE", sd_req,
				 &n_sd_req, error) ||
	    !bdfu_pkg_parse_list(a->sd_id_text, sd_id, &n_sd_id, error))
		return FALSE;
	if ((a->app_bv_text != NULL && !bdfu_pkg_validation_type(a->app_bv_text, &app_bv, error)) ||
	    (a->sd_bv_text != NULL && !bdfu_pkg_validation_type(a->sd_bv_text, &sd_bv, error)))
		return FALSE;

	if (in->sd.image != NULL || in->bl.image != NULL) {
		g_autoptr(GByteArray) merged = g_byte_array_new();
		g_autoptr(GBytes) image = NULL;
		g_autoptr(GBytes) dat = NULL;
		guint32 sd_size = in->sd.image != NULL ? g_bytes_get_size(in->sd.image) : 0;
		guint32 bl_size = in->bl.image != NULL ? g_bytes_get_size(in->bl.image) : 0;
		guint32 part_req[BDFU_INIT_SD_REQ_MAX * 2];
		guint n_part_req = n_sd_req;
		guint32 validations[2];
		guint n_validations = 0;
		BdfuFwType type;
		const gchar *name;

		memcpy(part_req, sd_req, n_sd_req * sizeof(guint32));
		/* a repeated SoftDevice update is accepted after the SD was already replaced */
		for (guint i = 0; i < n_sd_id && n_part_req < BDFU_INIT_SD_REQ_MAX; i++)
			part_req[n_part_req++] = sd_id[i];
		if (in->sd.image != NULL)
			g_byte_array_append(merged, g_bytes_get_data(in->sd.image, NULL), sd_size);
		if (in->bl.image != NULL)
			g_byte_array_append(merged, g_bytes_get_data(in->bl.image, NULL), bl_size);
		image = g_byte_array_free_to_bytes(g_steal_pointer(&merged));
		if (in->sd.image != NULL && in->bl.image != NULL) {
			type = BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER;
			name = "sd_bl";
			validations[n_validations++] = sd_bv;
			validations[n_validations++] = BDFU_VALIDATION_GENERATED_CRC;
		} else if (in->sd.image != NULL) {
			type = BDFU_FW_TYPE_SOFTDEVICE;
			name = in->sd.name;
			validations[n_validations++] = sd_bv;
		} else {
			type = BDFU_FW_TYPE_BOOTLOADER;
			name = in->bl.name;
			validations[n_validations++] = BDFU_VALIDATION_GENERATED_CRC;
		}
		dat = bdfu_pkg_init_packet(common, type,
					   in->bl.image != NULL ? (guint32)a->bl_version : 0xFFFFFFFF,
					   part_req, n_part_req, image, sd_size, bl_size, validations,
					   n_validations, in->sd.image != NULL ? in->sd.image : image,
					   error);
		if (dat == NULL)
			return FALSE;
		{
			g_autofree gchar *bin_name = g_strdup_printf("%s.bin", name);
			g_autofree gchar *dat_name = g_strdup_printf("%s.dat", name);
			BdfuPartType part = type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER
						? BDFU_PART_SOFTDEVICE_BOOTLOADER
					    : type == BDFU_FW_TYPE_SOFTDEVICE ? BDFU_PART_SOFTDEVICE
									      : BDFU_PART_BOOTLOADER;
			bdfu_package_writer_add(writer, part, bin_name, image, dat_name, dat,
						type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER ? sd_size : 0,
						type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER ? bl_size : 0);
		}
	}
	if (in->app.image != NULL) {
		g_autoptr(GBytes) dat = NULL;
		g_autofree gchar *bin_name = g_strdup_printf("%s.bin", in->app.name);
		g_autofree gchar *dat_name = g_strdup_printf("%s.dat", in->app.name);
		/* with a new SoftDevice in the same package the app needs the new one's FWID */
		const guint32 *req = in->sd.image != NULL && n_sd_id > 0 ? sd_id : sd_req;
		guint n_req = in->sd.image != NULL && n_sd_id > 0 ? n_sd_id : n_sd_req;

		dat = bdfu_pkg_init_packet(common, BDFU_FW_TYPE_APPLICATION, (guint32)a->app_version,
					   req, n_req, in->app.image, 0, 0, &app_bv, 1,
					   in->app.image, error);
		if (dat == NULL)
			return FALSE;
		bdfu_package_writer_add(writer, BDFU_PART_APPLICATION, bin_name, in->app.image,
					dat_name, dat, 0, 0);
	}
	return TRUE;
}

static int
bdfu_cli_pkg_generate(BdfuCli *cli, int argc, char **argv)
{
	g_auto(BdfuPkgArgs) a = {.app_version = 0xFFFFFFFF, .bl_version = -1, .hw_version = -1};
	g_auto(BdfuPkgInputs) inputs = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuKey) key = NULL;
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) zip = NULL;
	BdfuPkgCommon common = {0};
	const GOptionEntry entries[] = {
	    {"application", 0, 0, G_OPTION_ARG_FILENAME, &a.application,
	     "Application (.hex or .bin)", "FILE"},
	    {"application-version", 0, 0, G_OPTION_ARG_INT64, &a.app_version,
	     "Application version (default 0xFFFFFFFF)", "N"},
	    {"bootloader", 0, 0, G_OPTION_ARG_FILENAME, &a.bootloader, "Bootloader (.hex or .bin)",
	     "FILE"},
	    {"bootloader-version", 0, 0, G_OPTION_ARG_INT64, &a.bl_version, "Bootloader version",
	     "N"},
	    {"softdevice", 0, 0, G_OPTION_ARG_FILENAME, &a.softdevice, "SoftDevice (.hex or .bin)",
	     "FILE"},
	    {"hw-version", 0, 0, G_OPTION_ARG_INT, &a.hw_version, "Hardware version (52 for nRF52)",
	     "N"},
	    {"sd-req", 0, 0, G_OPTION_ARG_STRING, &a.sd_req_text,
	     "FWIDs of the SoftDevices the package may be installed over", "LIST"},
	    {"sd-id", 0, 0, G_OPTION_ARG_STRING, &a.sd_id_text,
	     "FWIDs of the new SoftDevice (SD+application packages)", "LIST"},
	    {"key-file", 0, 0, G_OPTION_ARG_FILENAME, &a.key_file, "Private key to sign with (PEM)",
	     "FILE"},
	    {"debug-mode", 0, 0, G_OPTION_ARG_NONE, &a.debug, "Mark the package is_debug", NULL},
	    {"app-boot-validation", 0, 0, G_OPTION_ARG_STRING, &a.app_bv_text,
	     "Application boot validation (default VALIDATE_GENERATED_CRC)", "TYPE"},
	    {"sd-boot-validation", 0, 0, G_OPTION_ARG_STRING, &a.sd_bv_text,
	     "SoftDevice boot validation (default VALIDATE_GENERATED_CRC)", "TYPE"},
	    {"strip-softdevice", 0, 0, G_OPTION_ARG_NONE, &a.strip,
	     "Cut a merged application hex at the end of its SoftDevice", NULL},
	    {NULL}};

	if (!bdfu_cli_parse(cli, "pkg generate", "OUTPUT.zip",
			    "Make a Secure DFU package (nrfutil-compatible).", entries, &argc, &argv))
		return 2;
	if (!bdfu_pkg_check_args(&a, argc))
		return 2;
	if (a.key_file != NULL) {
		g_autofree gchar *pem = NULL;
		gsize len = 0;
		if (!g_file_get_contents(a.key_file, &pem, &len, NULL) ||
		    (key = bdfu_key_new_from_pem(pem, len, NULL)) == NULL || !bdfu_key_has_private(key)) {
			g_autoptr(GError) e = g_error_new(BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT,
							  "%s: not a readable private P-256 key (PEM)",
							  a.key_file);
			return bdfu_cli_fail(cli, e);
		}
	} else if (!cli->quiet) {
		g_printerr("warning: no --key-file: the package is unsigned and only bootloaders "
			   "without a public key accept it\n");
	}
	common.hw_version = (guint32)a.hw_version;
	common.debug = a.debug;
	common.key = key;
	if (!bdfu_pkg_load_inputs(&a, &inputs, &error) ||
	    !bdfu_pkg_build(&a, &inputs, &common, writer, &error))
		return bdfu_cli_fail(cli, error);
	zip = bdfu_package_writer_finish(writer, &error);
	if (zip == NULL ||
	    !g_file_set_contents(argv[1], g_bytes_get_data(zip, NULL), g_bytes_get_size(zip), &error))
		return bdfu_cli_fail(cli, error);
	if (!cli->quiet && !cli->json)
		g_print("wrote %s (%" G_GSIZE_FORMAT " bytes)\n", argv[1], g_bytes_get_size(zip));
	return 0;
}

static int
bdfu_cli_keys(BdfuCli *cli, int argc, char **argv)
{
	g_autofree gchar *format = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuKey) key = NULL;
	const GOptionEntry entries[] = {
	    {"format", 0, 0, G_OPTION_ARG_STRING, &format,
	     "display: pem (public key, default) or code (dfu_public_key.c)", "pem|code"},
	    {NULL}};

	if (!bdfu_cli_parse(cli, "keys", "generate|display KEY.pem",
			    "Make a signing key, or show its public half as PEM or as the C array "
			    "the bootloader compiles in.",
			    entries, &argc, &argv))
		return 2;
	if (argc != 3 || (g_strcmp0(argv[1], "generate") != 0 && g_strcmp0(argv[1], "display") != 0)) {
		g_printerr("bluedfu keys: expected 'generate KEY.pem' or 'display KEY.pem'\n");
		return 2;
	}
	if (g_strcmp0(argv[1], "generate") == 0) {
		g_autofree gchar *pem = NULL;
		if (g_file_test(argv[2], G_FILE_TEST_EXISTS)) {
			g_printerr("bluedfu keys generate: %s exists; not overwriting a key\n", argv[2]);
			return 2;
		}
		key = bdfu_key_generate(&error);
		if (key == NULL)
			return bdfu_cli_fail(cli, error);
		pem = bdfu_key_to_private_pem(key);
		if (!g_file_set_contents_full(argv[2], pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
					      &error))
			return bdfu_cli_fail(cli, error);
		return 0;
	}
	{
		g_autofree gchar *pem = NULL;
		gsize len = 0;
		guint8 raw[64];
		if (!g_file_get_contents(argv[2], &pem, &len, &error))
			return bdfu_cli_fail(cli, error);
		key = bdfu_key_new_from_pem(pem, len, &error);
		if (key == NULL)
			return bdfu_cli_fail(cli, error);
		if (format == NULL || g_strcmp0(format, "pem") == 0) {
			g_autofree gchar *pub = bdfu_key_to_public_pem(key);
			g_print("%s", pub);
			return 0;
		}
		if (g_strcmp0(format, "code") != 0 || !bdfu_key_get_raw_le(key, raw)) {
			g_printerr("bluedfu keys display: --format pem or code\n");
			return 2;
		}
		g_print("/* public key: x then y, each little-endian */\n"
			"__ALIGN(4) const uint8_t pk[64] =\n{\n");
		for (guint i = 0; i < 64; i++)
			g_print("%s0x%02x%s", i % 8 == 0 ? "    " : "", raw[i],
				i == 63 ? "\n" : (i % 8 == 7 ? ",\n" : ", "));
		g_print("};\n");
	}
	return 0;
}

int
bdfu_cli_pkg(BdfuCli *cli, int argc, char **argv)
{
	/* argv[1] is the sub-verb: "pkg generate ..." */
	for (gint i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (g_strcmp0(argv[i], "generate") == 0) {
			memmove(&argv[i], &argv[i + 1], sizeof(char *) * (argc - i));
			return bdfu_cli_pkg_generate(cli, argc - 1, argv);
		}
		break;
	}
	for (gint i = 1; i < argc; i++) {
		if (g_strcmp0(argv[i], "--help") == 0 || g_strcmp0(argv[i], "-h") == 0)
			return bdfu_cli_pkg_generate(cli, argc, argv);
	}
	g_printerr("bluedfu pkg: expected 'generate'\nTry 'bluedfu pkg generate --help'.\n");
	return 2;
}

int
bdfu_cli_keys_main(BdfuCli *cli, int argc, char **argv)
{
	return bdfu_cli_keys(cli, argc, argv);
}
