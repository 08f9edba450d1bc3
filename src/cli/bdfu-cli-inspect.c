/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bluedfu/bdfu-error.h"
#include "cli/bdfu-cli.h"
#include "core/bdfu-image.h"
#include "core/bdfu-package.h"

typedef struct {
	BdfuPackage *package;
	BdfuKey *key;
	GPtrArray *findings;	 /* BdfuFinding* */
	GPtrArray *finding_part; /* const gchar* part name of each finding */
} BdfuInspection;

static void
bdfu_inspection_clear(BdfuInspection *inspection)
{
	g_clear_pointer(&inspection->package, bdfu_package_free);
	g_clear_pointer(&inspection->key, bdfu_key_free);
	g_clear_pointer(&inspection->findings, g_ptr_array_unref);
	g_clear_pointer(&inspection->finding_part, g_ptr_array_unref);
}

cJSON *
bdfu_cli_sd_req_named(const guint32 *sd_req, guint len)
{
	cJSON *arr = cJSON_CreateArray();
	for (guint i = 0; i < len; i++) {
		g_autofree gchar *text = bdfu_softdevice_describe(sd_req[i]);
		cJSON_AddItemToArray(arr, cJSON_CreateString(text));
	}
	return arr;
}

static const gchar *
bdfu_hash_check_to_string(BdfuHashCheck check)
{
	switch (check) {
	case BDFU_HASH_CHECK_MATCH:
		return "match";
	case BDFU_HASH_CHECK_MATCH_BIG_ENDIAN:
		return "match-big-endian";
	case BDFU_HASH_CHECK_MISMATCH:
		return "mismatch";
	default:
		return "unsupported";
	}
}

static gboolean
bdfu_inspection_load(BdfuInspection *inspection,
		     const gchar *filename,
		     const gchar *key_file,
		     GError **error)
{
	inspection->package = bdfu_package_new_from_file(filename, NULL, error);
	if (inspection->package == NULL)
		return FALSE;
	if (key_file != NULL) {
		g_autofree gchar *pem = NULL;
		gsize len = 0;
		if (!g_file_get_contents(key_file, &pem, &len, error)) {
			g_prefix_error(error, "cannot read the key: ");
			(*error)->domain = BDFU_ERROR;
			(*error)->code = BDFU_ERROR_INVALID_ARGUMENT;
			return FALSE;
		}
		inspection->key = bdfu_key_new_from_pem(pem, len, error);
		if (inspection->key == NULL) {
			g_prefix_error(error, "%s: ", key_file);
			return FALSE;
		}
	}
	inspection->findings = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_finding_free);
	inspection->finding_part = g_ptr_array_new();
	for (guint i = 0; i < inspection->package->parts->len; i++) {
		BdfuPackagePart *part = g_ptr_array_index(inspection->package->parts, i);
		guint before = inspection->findings->len;
		gsize len = 0;
		const guint8 *bin = g_bytes_get_data(part->bin, &len);
		if (part->init == NULL)
			continue;
		bdfu_image_check(part->init, bin, len, inspection->findings);
		for (guint j = before; j < inspection->findings->len; j++)
			g_ptr_array_add(inspection->finding_part,
					(gpointer)bdfu_part_type_to_string(part->type));
	}
	return TRUE;
}

static BdfuSignatureCheck
bdfu_inspection_signature(BdfuInspection *inspection, BdfuPackagePart *part)
{
	gsize len = 0;
	const guint8 *dat = g_bytes_get_data(part->dat, &len);
	return bdfu_init_packet_verify(part->init, dat, len, inspection->key);
}

static BdfuHashCheck
bdfu_inspection_hash(BdfuPackagePart *part)
{
	gsize len = 0;
	const guint8 *bin = g_bytes_get_data(part->bin, &len);
	return bdfu_init_packet_check_hash(part->init, bin, len);
}

static void
bdfu_json_add_optional_u32(cJSON *obj, const gchar *key, gboolean has, guint32 value)
{
	if (has)
		cJSON_AddNumberToObject(obj, key, value);
	else
		cJSON_AddNullToObject(obj, key);
}

static cJSON *
bdfu_inspection_part_to_json(BdfuInspection *inspection, BdfuPackagePart *part)
{
	cJSON *obj = cJSON_CreateObject();
	const BdfuInitPacket *init = part->init;

	cJSON_AddStringToObject(obj, "type", bdfu_part_type_to_string(part->type));
	cJSON_AddStringToObject(obj, "bin_file", part->bin_name);
	cJSON_AddStringToObject(obj, "dat_file", part->dat_name);
	cJSON_AddNumberToObject(obj, "bin_size", g_bytes_get_size(part->bin));
	cJSON_AddNumberToObject(obj, "dat_size", g_bytes_get_size(part->dat));
	if (init == NULL) {
		cJSON_AddStringToObject(obj, "init_packet", "legacy");
		return obj;
	}
	cJSON_AddStringToObject(obj, "init_type", bdfu_fw_type_to_string(init->type));
	bdfu_json_add_optional_u32(obj, "fw_version", init->has_fw_version, init->fw_version);
	bdfu_json_add_optional_u32(obj, "hw_version", init->has_hw_version, init->hw_version);
	cJSON *sd_req = cJSON_AddArrayToObject(obj, "sd_req");
	for (guint i = 0; i < init->sd_req_len; i++)
		cJSON_AddItemToArray(sd_req, cJSON_CreateNumber(init->sd_req[i]));
	cJSON_AddItemToObject(obj, "sd_req_named",
			      bdfu_cli_sd_req_named(init->sd_req, init->sd_req_len));
	cJSON_AddNumberToObject(obj, "sd_size", init->sd_size);
	cJSON_AddNumberToObject(obj, "bl_size", init->bl_size);
	cJSON_AddNumberToObject(obj, "app_size", init->app_size);
	cJSON_AddStringToObject(obj, "hash", bdfu_hash_check_to_string(bdfu_inspection_hash(part)));
	cJSON_AddBoolToObject(obj, "hash_ok", bdfu_inspection_hash(part) == BDFU_HASH_CHECK_MATCH ||
						  bdfu_inspection_hash(part) ==
						      BDFU_HASH_CHECK_MATCH_BIG_ENDIAN);
	cJSON_AddBoolToObject(obj, "signed", init->is_signed);
	cJSON_AddStringToObject(obj,
				"signature",
				bdfu_signature_check_to_string(
				    bdfu_inspection_signature(inspection, part)));
	if (init->has_is_debug)
		cJSON_AddBoolToObject(obj, "is_debug", init->is_debug);
	else
		cJSON_AddNullToObject(obj, "is_debug");
	cJSON *bv = cJSON_AddArrayToObject(obj, "boot_validation");
	for (guint i = 0; i < init->boot_validation_len; i++)
		cJSON_AddItemToArray(bv, cJSON_CreateNumber(init->boot_validation[i].type));
	return obj;
}

static cJSON *
bdfu_inspection_to_json(BdfuInspection *inspection)
{
	cJSON *obj = cJSON_CreateObject();
	g_autofree gchar *digest = NULL;
	gsize len = 0;
	const guint8 *raw = g_bytes_get_data(inspection->package->digest, &len);

	digest = g_malloc0(len * 2 + 1);
	for (gsize i = 0; i < len; i++)
		g_snprintf(digest + i * 2, 3, "%02x", raw[i]);
	cJSON_AddStringToObject(obj, "format",
				bdfu_package_format_to_string(inspection->package->format));
	cJSON_AddStringToObject(obj, "sha256", digest);
	cJSON *parts = cJSON_AddArrayToObject(obj, "parts");
	for (guint i = 0; i < inspection->package->parts->len; i++)
		cJSON_AddItemToArray(parts,
				     bdfu_inspection_part_to_json(
					 inspection,
					 g_ptr_array_index(inspection->package->parts, i)));
	cJSON *findings = cJSON_AddArrayToObject(obj, "findings");
	for (guint i = 0; i < inspection->findings->len; i++) {
		BdfuFinding *finding = g_ptr_array_index(inspection->findings, i);
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "id", finding->id);
		cJSON_AddStringToObject(f, "part", g_ptr_array_index(inspection->finding_part, i));
		cJSON_AddStringToObject(f, "severity", bdfu_severity_to_string(finding->severity));
		cJSON_AddStringToObject(f, "message", finding->message);
		cJSON_AddStringToObject(f, "fix", finding->fix);
		cJSON_AddItemToArray(findings, f);
	}
	cJSON *warnings = cJSON_AddArrayToObject(obj, "warnings");
	for (guint i = 0; i < inspection->package->warnings->len; i++)
		cJSON_AddItemToArray(warnings,
				     cJSON_CreateString(
					 g_ptr_array_index(inspection->package->warnings, i)));
	return obj;
}

static void
bdfu_inspection_print_part(BdfuInspection *inspection, BdfuPackagePart *part, guint i, guint n)
{
	const BdfuInitPacket *init = part->init;
	BdfuSignatureCheck sig;

	g_print("Part %u/%u: %s\n", i + 1, n, bdfu_part_type_to_string(part->type));
	g_print("  image          %s, %" G_GSIZE_FORMAT " bytes\n", part->bin_name,
		g_bytes_get_size(part->bin));
	g_print("  init packet    %s, %" G_GSIZE_FORMAT " bytes\n", part->dat_name,
		g_bytes_get_size(part->dat));
	if (init == NULL) {
		g_print("  (legacy init packet: not decoded)\n");
		return;
	}
	if (init->has_fw_version)
		g_print("  fw_version     %u\n", init->fw_version);
	else
		g_print("  fw_version     (absent)\n");
	if (init->has_hw_version)
		g_print("  hw_version     %u\n", init->hw_version);
	else
		g_print("  hw_version     (absent)\n");
	for (guint j = 0; j < init->sd_req_len; j++) {
		g_autofree gchar *text = bdfu_softdevice_describe(init->sd_req[j]);
		g_print("  %-14s %s\n", j == 0 ? "sd_req" : "", text);
	}
	g_print("  sizes          sd %u, bl %u, app %u\n", init->sd_size, init->bl_size,
		init->app_size);
	switch (bdfu_inspection_hash(part)) {
	case BDFU_HASH_CHECK_MATCH:
		g_print("  hash           SHA-256 matches the image\n");
		break;
	case BDFU_HASH_CHECK_MATCH_BIG_ENDIAN:
		g_print("  hash           SHA-256 matches, stored big-endian (2016 pre-release "
			"tools)\n");
		break;
	case BDFU_HASH_CHECK_MISMATCH:
		g_print("  hash           MISMATCH: the image is not the one the init packet "
			"describes\n");
		break;
	default:
		g_print("  hash           none or not SHA-256\n");
		break;
	}
	sig = bdfu_inspection_signature(inspection, part);
	switch (sig) {
	case BDFU_SIGNATURE_VALID:
		g_print("  signature      valid for the given key\n");
		break;
	case BDFU_SIGNATURE_INVALID:
		g_print("  signature      INVALID for the given key\n");
		break;
	case BDFU_SIGNATURE_UNCHECKED:
		g_print("  signature      present, not checked (give --key PUB.pem)\n");
		break;
	default:
		g_print("  signature      absent (unsigned package)\n");
		break;
	}
	if (init->has_is_debug && init->is_debug)
		g_print("  debug          yes (only debug bootloaders accept it)\n");
}

static void
bdfu_inspection_print(BdfuInspection *inspection, const gchar *filename)
{
	BdfuPackage *package = inspection->package;
	g_print("Package %s: %s format, %u part%s in flashing order\n",
		filename,
		bdfu_package_format_to_string(package->format),
		package->parts->len,
		package->parts->len == 1 ? "" : "s");
	for (guint i = 0; i < package->parts->len; i++)
		bdfu_inspection_print_part(inspection, g_ptr_array_index(package->parts, i), i,
					   package->parts->len);
	for (guint i = 0; i < package->warnings->len; i++)
		g_print("note: %s\n", (const gchar *)g_ptr_array_index(package->warnings, i));
	if (package->format == BDFU_PACKAGE_FORMAT_LEGACY)
		g_print("note: legacy DFU packages (SDK <= 11) can be inspected but not sent: "
			"`bluedfu update` speaks Secure DFU only\n");
	if (inspection->findings->len == 0) {
		g_print("Checks: no problem found\n");
		return;
	}
	g_print("Findings:\n");
	for (guint i = 0; i < inspection->findings->len; i++) {
		BdfuFinding *finding = g_ptr_array_index(inspection->findings, i);
		g_print("  %s %s (%s): %s\n    fix: %s\n",
			bdfu_severity_to_string(finding->severity),
			finding->id,
			(const gchar *)g_ptr_array_index(inspection->finding_part, i),
			finding->message,
			finding->fix);
	}
}

int
bdfu_cli_inspect(BdfuCli *cli, int argc, char **argv)
{
	g_autofree gchar *key_file = NULL;
	g_autoptr(GError) error = NULL;
	BdfuInspection inspection = {0};
	const GOptionEntry entries[] = {
	    {"key", 'k', 0, G_OPTION_ARG_FILENAME, &key_file,
	     "Public key (PEM) to check the signature with", "PUB.pem"},
	    {NULL}};
	int rc = 0;

	if (!bdfu_cli_parse(cli, "inspect", "PACKAGE",
			    "Show what is inside a DFU package, decoded, with every check.",
			    entries, &argc, &argv))
		return 2;
	if (argc != 2) {
		g_printerr("bluedfu inspect: expected one PACKAGE\nTry 'bluedfu inspect --help'.\n");
		return 2;
	}
	if (!bdfu_inspection_load(&inspection, argv[1], key_file, &error)) {
		rc = bdfu_cli_fail(cli, error);
		bdfu_inspection_clear(&inspection);
		return rc;
	}
	if (cli->json) {
		g_autoptr(cJSON) obj = bdfu_inspection_to_json(&inspection);
		bdfu_cli_print_json(obj);
	} else {
		bdfu_inspection_print(&inspection, argv[1]);
	}
	bdfu_inspection_clear(&inspection);
	return rc;
}

int
bdfu_cli_doctor(BdfuCli *cli, int argc, char **argv)
{
	g_autofree gchar *key_file = NULL;
	g_autofree gchar *sd_fwid_text = NULL;
	gint hw_version = -1;
	g_autoptr(GError) error = NULL;
	BdfuInspection inspection = {0};
	const GOptionEntry entries[] = {
	    {"key", 'k', 0, G_OPTION_ARG_FILENAME, &key_file,
	     "The public key the device's bootloader has (PEM)", "PUB.pem"},
	    {"sd-fwid", 0, 0, G_OPTION_ARG_STRING, &sd_fwid_text,
	     "FWID of the SoftDevice on the device, e.g. 0x100", "ID"},
	    {"hw-version", 0, 0, G_OPTION_ARG_INT, &hw_version,
	     "The bootloader's NRF_DFU_HW_VERSION (52 for nRF52)", "N"},
	    {NULL}};
	guint errors = 0;
	int rc;

	if (!bdfu_cli_parse(cli, "doctor", "PACKAGE",
			    "Will this package boot on the device? Every check, with the fix.",
			    entries, &argc, &argv))
		return 2;
	if (argc != 2) {
		g_printerr("bluedfu doctor: expected one PACKAGE\nTry 'bluedfu doctor --help'.\n");
		return 2;
	}
	if (!bdfu_inspection_load(&inspection, argv[1], key_file, &error)) {
		rc = bdfu_cli_fail(cli, error);
		bdfu_inspection_clear(&inspection);
		return rc;
	}
	for (guint i = 0; i < inspection.package->parts->len; i++) {
		BdfuPackagePart *part = g_ptr_array_index(inspection.package->parts, i);
		const BdfuInitPacket *init = part->init;
		if (init == NULL)
			continue;
		if (hw_version >= 0 && (!init->has_hw_version || init->hw_version != (guint)hw_version)) {
			g_autofree gchar *msg = g_strdup_printf(
			    "the package's hw_version is %u but the device's bootloader expects %d: "
			    "it will answer HW_VERSION_FAILURE (60 04 0B 06)",
			    init->hw_version, hw_version);
			g_ptr_array_add(inspection.findings,
					bdfu_finding_new("hw-version-mismatch", BDFU_SEVERITY_ERROR, msg,
							 "Rebuild the package with --hw-version matching "
							 "the bootloader's NRF_DFU_HW_VERSION"));
			g_ptr_array_add(inspection.finding_part,
					(gpointer)bdfu_part_type_to_string(part->type));
		}
		if (sd_fwid_text != NULL) {
			guint64 fwid = g_ascii_strtoull(sd_fwid_text, NULL, 0);
			gboolean ok = FALSE;
			for (guint j = 0; j < init->sd_req_len; j++)
				ok |= init->sd_req[j] == fwid;
			if (!ok) {
				g_autofree gchar *have = bdfu_softdevice_describe((guint32)fwid);
				g_autofree gchar *msg = g_strdup_printf(
				    "the device runs %s, which is not in the package's sd_req: it will "
				    "answer SD_VERSION_FAILURE (60 04 0B 07)", have);
				g_ptr_array_add(inspection.findings,
						bdfu_finding_new("sd-req-mismatch", BDFU_SEVERITY_ERROR,
								 msg,
								 "Rebuild the package with --sd-req "
								 "including the device's SoftDevice FWID"));
				g_ptr_array_add(inspection.finding_part,
						(gpointer)bdfu_part_type_to_string(part->type));
			}
		}
		if (inspection.key != NULL &&
		    bdfu_inspection_signature(&inspection, part) != BDFU_SIGNATURE_VALID) {
			g_ptr_array_add(inspection.findings,
					bdfu_finding_new("signature-mismatch", BDFU_SEVERITY_ERROR,
							 init->is_signed
							     ? "the package is not signed with this key: "
							       "the bootloader will answer INVALID_OBJECT "
							       "(60 04 05)"
							     : "the package is unsigned but the bootloader "
							       "has a key: it will answer SIGNATURE_MISSING "
							       "(60 04 0B 08)",
							 "Sign the package with the private key whose "
							 "public half is in the bootloader"));
			g_ptr_array_add(inspection.finding_part,
					(gpointer)bdfu_part_type_to_string(part->type));
		}
	}
	for (guint i = 0; i < inspection.findings->len; i++) {
		BdfuFinding *finding = g_ptr_array_index(inspection.findings, i);
		if (finding->severity == BDFU_SEVERITY_ERROR)
			errors++;
	}
	if (cli->json) {
		g_autoptr(cJSON) obj = bdfu_inspection_to_json(&inspection);
		cJSON_AddStringToObject(obj, "verdict", errors > 0 ? "will-not-boot" : "ok");
		bdfu_cli_print_json(obj);
	} else {
		bdfu_inspection_print(&inspection, argv[1]);
		g_print("Verdict: %s\n",
			errors > 0 ? "this package will be refused or will not boot (see above)"
				   : "no reason found why it would not boot");
	}
	bdfu_inspection_clear(&inspection);
	return errors > 0 ? 1 : 0;
}
