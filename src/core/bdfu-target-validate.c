/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the bootloader checks at the init Execute (PROTOCOL.md §8.1, in order) and at the last
 * data Execute (§3.6). */
#include <string.h>

#include "core/bdfu-image.h"
#include "core/bdfu-proto.h"
#include "core/bdfu-target-private.h"

#define BDFU_SD_FWID_NONE 0x00u

typedef struct {
	guint8 result;
	guint8 ext;
} BdfuVerdict;

static const BdfuVerdict bdfu_ok = {BDFU_RES_SUCCESS, 0};

static BdfuVerdict
bdfu_verdict(guint8 result, guint8 ext)
{
	BdfuVerdict v = {result, ext};
	return v;
}

static BdfuVerdict
bdfu_ext(guint8 ext)
{
	return bdfu_verdict(BDFU_RES_EXT_ERROR, ext);
}

/* rule 2: signature, required when the bootloader has a key (§6.3) */
static BdfuVerdict
bdfu_target_check_signature(BdfuTarget *target, const BdfuInitPacket *init)
{
	if (!target->config.has_public_key)
		return bdfu_ok;
	if (!init->is_signed) {
		bdfu_target_log(target, "init packet rejected: unsigned, a signature is required");
		if (target->config.sdk_major < 15)
			return bdfu_ext(BDFU_EXT_UNKNOWN_COMMAND); /* SDK 12: 0x0A */
		return bdfu_ext(BDFU_EXT_SIGNATURE_MISSING);
	}
	if (!init->has_signature_type ||
	    init->signature_type != BDFU_SIGNATURE_TYPE_ECDSA_P256_SHA256)
		return bdfu_ext(BDFU_EXT_WRONG_SIGNATURE_TYPE);
	if (init->signature_len != 64)
		return bdfu_verdict(BDFU_RES_OPERATION_FAILED, 0);
	if (target->key == NULL ||
	    bdfu_init_packet_verify(init, target->cmd, target->cmd_size, target->key) !=
		BDFU_SIGNATURE_VALID) {
		bdfu_target_log(target,
				"init packet rejected: the signature does not verify with "
				"the bootloader's public key");
		return bdfu_verdict(BDFU_RES_INVALID_OBJECT, 0);
	}
	return bdfu_ok;
}

static gboolean
bdfu_sd_req_has(const BdfuInitPacket *init, guint32 fwid)
{
	for (guint i = 0; i < MIN(init->sd_req_len, (guint)BDFU_INIT_SD_REQ_MAX); i++) {
		if (init->sd_req[i] == fwid)
			return TRUE;
	}
	return FALSE;
}

/* rule 7 */
static gboolean
bdfu_target_sd_req_ok(BdfuTarget *target, const BdfuInitPacket *init)
{
	guint len = MIN(init->sd_req_len, (guint)BDFU_INIT_SD_REQ_MAX);
	gboolean is_sd = init->type == BDFU_FW_TYPE_SOFTDEVICE ||
			 init->type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER;

	if (target->sd_fwid == BDFU_SD_FWID_NONE)
		return len == 0 || (init->sd_req[0] == BDFU_SD_FWID_NONE && len == 1);
	if (len == 0)
		return !bdfu_target_sdk_at_least(target, 15, 3) && !is_sd;
	if (init->sd_req[0] == BDFU_SD_FWID_NONE)
		return len == 1 && !is_sd; /* "the app replaces the SoftDevice" */
	if (bdfu_sd_req_has(init, target->sd_fwid))
		return TRUE;
	/* "any" counts for external apps in SDK 15+ [SDK 12-14: for everything, derived] */
	return bdfu_sd_req_has(init, BDFU_SD_REQ_ANY) && target->config.sdk_major < 15;
}

/* rule 8 */
static BdfuVerdict
bdfu_target_check_version(BdfuTarget *target, const BdfuInitPacket *init)
{
	switch (init->type) {
	case BDFU_FW_TYPE_APPLICATION:
		if (!init->has_fw_version)
			return bdfu_ext(BDFU_EXT_INIT_COMMAND_INVALID);
		/* equal is accepted (NRF_DFU_APP_ACCEPT_SAME_VERSION = 1, and >= before 15.3) */
		if (init->fw_version < target->app_version) {
			bdfu_target_log(target,
					"init packet rejected: fw_version %u is lower than "
					"the installed application's %u",
					init->fw_version,
					target->app_version);
			return bdfu_ext(BDFU_EXT_FW_VERSION_FAILURE);
		}
		return bdfu_ok;
	case BDFU_FW_TYPE_SOFTDEVICE:
		if (init->has_fw_version && init->fw_version != G_MAXUINT32 &&
		    init->fw_version < target->app_version)
			return bdfu_ext(BDFU_EXT_FW_VERSION_FAILURE);
		return bdfu_ok;
	default:
		if (!init->has_fw_version)
			return bdfu_ext(BDFU_EXT_INIT_COMMAND_INVALID);
		if (init->fw_version <= target->bl_version) {
			bdfu_target_log(target,
					"init packet rejected: bootloader version %u is not "
					"greater than the installed %u",
					init->fw_version,
					target->bl_version);
			return bdfu_ext(BDFU_EXT_FW_VERSION_FAILURE);
		}
		return bdfu_ok;
	}
}

static guint32
bdfu_target_bl_area(BdfuTarget *target)
{
	/* up to the MBR parameter page and the settings page */
	guint32 end = target->config.flash_size - 2 * target->page_size;
	return end > target->config.bootloader_start ? end - target->config.bootloader_start : 0;
}

/* rule 9: the size fields of the image type */
static BdfuVerdict
bdfu_target_check_sizes(BdfuTarget *target, const BdfuInitPacket *init)
{
	gboolean need_app = init->type == BDFU_FW_TYPE_APPLICATION;
	gboolean need_sd = init->type == BDFU_FW_TYPE_SOFTDEVICE ||
			   init->type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER;
	gboolean need_bl = init->type == BDFU_FW_TYPE_BOOTLOADER ||
			   init->type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER;

	if ((need_app && (!init->has_app_size || init->app_size == 0)) ||
	    (need_sd && (!init->has_sd_size || init->sd_size == 0)) ||
	    (need_bl && (!init->has_bl_size || init->bl_size == 0)))
		return bdfu_ext(BDFU_EXT_INIT_COMMAND_INVALID);
	if (need_bl && init->bl_size > bdfu_target_bl_area(target)) {
		bdfu_target_log(target,
				"init packet rejected: bootloader of %u bytes does not fit "
				"the %u-byte bootloader area",
				init->bl_size,
				bdfu_target_bl_area(target));
		return bdfu_verdict(BDFU_RES_INSUFFICIENT_RESOURCES, 0);
	}
	return bdfu_ok;
}

static guint32
bdfu_round_up(guint64 value, guint32 page)
{
	return (guint32)MIN((value + page - 1) / page * page, (guint64)G_MAXUINT32);
}

/* rule 10: bank 1 after the current app, else single bank over it (§8.1) */
static BdfuVerdict
bdfu_target_check_space(BdfuTarget *target, guint64 size)
{
	guint32 end = bdfu_target_bank0_end(target);
	guint64 avail = end > target->app_start ? end - target->app_start : 0;
	guint64 current = 0;

	if (target->app_valid && target->app_image != NULL)
		current = bdfu_round_up(g_bytes_get_size(target->app_image), target->page_size);
	/* without a valid app the image goes straight to bank 0 */
	target->single_bank = !target->app_valid;
	if (current + bdfu_round_up(size, target->page_size) <= avail)
		return bdfu_ok;
	target->single_bank = TRUE;
	if (target->app_valid) {
		bdfu_target_log(target,
				"image of %" G_GUINT64_FORMAT " bytes does not fit next "
				"to the application: application invalidated (single bank)",
				size);
		target->app_valid = FALSE;
	}
	if (size > avail) {
		bdfu_target_log(target,
				"init packet rejected: image of %" G_GUINT64_FORMAT
				" bytes does not fit the %" G_GUINT64_FORMAT " bytes between "
				"0x%X and 0x%X",
				size,
				avail,
				target->app_start,
				end);
		return bdfu_verdict(BDFU_RES_INSUFFICIENT_RESOURCES, 0);
	}
	return bdfu_ok;
}

static BdfuVerdict
bdfu_target_check_init(BdfuTarget *target, const BdfuInitPacket *init)
{
	BdfuVerdict v = bdfu_target_check_signature(target, init);
	gboolean skip = target->config.debug_bootloader && init->has_is_debug && init->is_debug;

	if (v.result != BDFU_RES_SUCCESS)
		return v;
	if (!init->has_type || init->type > BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER)
		return bdfu_ext(BDFU_EXT_INIT_COMMAND_INVALID);
	if (!init->has_hash || init->hash_type != BDFU_HASH_TYPE_SHA256 || init->hash_len != 32)
		return bdfu_ext(BDFU_EXT_WRONG_HASH_TYPE);
	/* SDK 12-14 release bootloaders refuse debug packets; SDK 15+ ignore the flag */
	if (!target->config.debug_bootloader && init->has_is_debug && init->is_debug &&
	    target->config.sdk_major < 15)
		return bdfu_verdict(BDFU_RES_OPERATION_FAILED, 0);
	if (!skip) {
		if (!init->has_hw_version)
			return bdfu_ext(BDFU_EXT_INIT_COMMAND_INVALID);
		if (init->hw_version != target->config.hw_version) {
			bdfu_target_log(target,
					"init packet rejected: hw_version %u, this device "
					"is %u",
					init->hw_version,
					target->config.hw_version);
			return bdfu_ext(BDFU_EXT_HW_VERSION_FAILURE);
		}
		if (!bdfu_target_sd_req_ok(target, init)) {
			bdfu_target_log(target,
					"init packet rejected: sd_req does not list the "
					"installed SoftDevice 0x%02X",
					target->sd_fwid);
			return bdfu_ext(BDFU_EXT_SD_VERSION_FAILURE);
		}
		v = bdfu_target_check_version(target, init);
		if (v.result != BDFU_RES_SUCCESS)
			return v;
	}
	v = bdfu_target_check_sizes(target, init);
	if (v.result != BDFU_RES_SUCCESS)
		return v;
	return bdfu_target_check_space(target, bdfu_init_packet_get_image_size(init));
}

guint8
bdfu_target_validate_init(BdfuTarget *target, guint8 *ext)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuInitPacket) init = NULL;
	BdfuVerdict v;

	/* rule 1 */
	init = bdfu_init_packet_parse(target->cmd, target->cmd_size, &error);
	if (init == NULL || !init->has_init) {
		bdfu_target_log(target,
				"init packet rejected: %s",
				error != NULL ? error->message : "no InitCommand");
		return BDFU_RES_INVALID_OBJECT;
	}
	v = bdfu_target_check_init(target, init);
	*ext = v.ext;
	if (v.result != BDFU_RES_SUCCESS)
		return v.result;
	target->image_size = (guint32)bdfu_init_packet_get_image_size(init);
	target->image = g_malloc0(target->image_size);
	target->fw_offset = target->fw_offset_last = 0;
	target->fw_crc = target->fw_crc_last = 0;
	target->data_object_size = 0;
	target->init = g_steal_pointer(&init);
	bdfu_target_log(target,
			"init packet accepted: %s, %u bytes",
			bdfu_fw_type_to_string(target->init->type),
			target->image_size);
	return BDFU_RES_SUCCESS;
}

static guint32
bdfu_major(guint32 version)
{
	return version / 1000000;
}

/* SoftDevice checks of the post-validation; fills *sd on success */
static gboolean
bdfu_target_softdevice_ok(BdfuTarget *target, BdfuSdInfoStruct *sd)
{
	const BdfuInitPacket *init = target->init;

	if (!bdfu_image_find_sd_info(target->image, init->sd_size, sd) ||
	    sd->offset != BDFU_SD_INFO_OFFSET) {
		bdfu_target_log(target,
				"SoftDevice rejected: no info struct magic at 0x%X",
				BDFU_SD_INFO_OFFSET + 4);
		return FALSE;
	}
	if (sd->sd_end < BDFU_TARGET_MBR_SIZE + init->sd_size) {
		bdfu_target_log(target,
				"SoftDevice rejected: sd_size %u beyond its end 0x%X",
				init->sd_size,
				sd->sd_end);
		return FALSE;
	}
	if (target->sd_id != 0 && sd->sd_id != 0 && sd->sd_id != target->sd_id) {
		bdfu_target_log(target,
				"SoftDevice rejected: S%u cannot replace S%u",
				sd->sd_id,
				target->sd_id);
		return FALSE;
	}
	/* a new major version changes the API: only together with a new bootloader */
	if (init->type == BDFU_FW_TYPE_SOFTDEVICE && target->sd_version != 0 && sd->version != 0 &&
	    bdfu_major(sd->version) != bdfu_major(target->sd_version)) {
		bdfu_target_log(target,
				"SoftDevice rejected: major version %u to %u without a "
				"bootloader",
				bdfu_major(target->sd_version),
				bdfu_major(sd->version));
		return FALSE;
	}
	return TRUE;
}

/* boot validation type 3 (SDK 15.3+): a signature over the image */
static gboolean
bdfu_target_boot_validation_ok(BdfuTarget *target)
{
	const BdfuInitPacket *init = target->init;

	if (!bdfu_target_sdk_at_least(target, 15, 3) || init->type != BDFU_FW_TYPE_APPLICATION ||
	    init->boot_validation_len == 0 ||
	    init->boot_validation[0].type != BDFU_VALIDATION_ECDSA_P256_SHA256 ||
	    target->key == NULL)
		return TRUE;
	return init->boot_validation[0].bytes_len == 64 &&
	       bdfu_key_verify_le(
		   target->key, target->image, target->image_size, init->boot_validation[0].bytes);
}

guint8
bdfu_target_validate_image(BdfuTarget *target, guint8 *ext)
{
	const BdfuInitPacket *init = target->init;
	BdfuSdInfoStruct sd = {0};
	gboolean has_sd = init->type == BDFU_FW_TYPE_SOFTDEVICE ||
			  init->type == BDFU_FW_TYPE_SOFTDEVICE_BOOTLOADER;

	if (bdfu_init_packet_check_hash(init, target->image, target->image_size) !=
	    BDFU_HASH_CHECK_MATCH) {
		bdfu_target_log(target,
				"image rejected: SHA-256 of the %u received bytes does not "
				"match the init packet",
				target->image_size);
		*ext = BDFU_EXT_VERIFICATION_FAILED;
		return BDFU_RES_EXT_ERROR;
	}
	if (!bdfu_target_boot_validation_ok(target)) {
		bdfu_target_log(target,
				"image rejected: boot validation signature does not verify");
		return BDFU_RES_INVALID_OBJECT;
	}
	if (has_sd && !bdfu_target_softdevice_ok(target, &sd))
		return BDFU_RES_INVALID_OBJECT;

	g_clear_pointer(&target->activation_image, g_bytes_unref);
	target->activation_image = g_bytes_new(target->image, target->image_size);
	target->activation_has_version = init->has_fw_version;
	target->activation_version = init->fw_version;
	target->activation_sd_size = init->sd_size;
	switch (init->type) {
	case BDFU_FW_TYPE_APPLICATION:
		target->activation = BDFU_ACTIVATE_APP;
		break;
	case BDFU_FW_TYPE_SOFTDEVICE:
		target->activation = BDFU_ACTIVATE_SD;
		break;
	case BDFU_FW_TYPE_BOOTLOADER:
		target->activation = BDFU_ACTIVATE_BL;
		break;
	default:
		target->activation = BDFU_ACTIVATE_SD_BL;
		break;
	}
	/* bank 1 is copied over bank 0 (SoftDevice, bootloader: by the MBR) at the next boot */
	target->copy_us = 0;
	if (init->type != BDFU_FW_TYPE_APPLICATION || !target->single_bank) {
		guint64 pages =
		    bdfu_round_up(target->image_size, target->page_size) / target->page_size;
		guint64 page_write_us =
		    (guint64)(target->page_size / 4) * target->config.flash_word_write_us;
		target->copy_us = pages * (bdfu_target_page_erase_us(target) + page_write_us) *
				  target->config.flash_slowdown;
	}
	bdfu_target_log(target,
			"image of %u bytes valid: %s activated at the next reset",
			target->image_size,
			bdfu_fw_type_to_string(init->type));
	return BDFU_RES_SUCCESS;
}
