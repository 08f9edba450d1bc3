/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bootloader's request handler: objects, CRC, PRN, flash queue (PROTOCOL.md §2, §3.7,
 * §9.1, §9.4). */
#include <string.h>
#include <zlib.h>

#include "core/bdfu-proto.h"
#include "core/bdfu-target-private.h"

typedef struct {
	guint64 done_at; /* first member: rebased by bdfu_target_advance() */
	guint32 bytes;
	gboolean holds_buffer;
} BdfuFlashOp;

static guint32
bdfu_crc32(guint32 crc, const guint8 *buf, gsize len)
{
	return (guint32)crc32(crc, buf, (uInt)len);
}

static void
bdfu_put_u32(guint8 *p, guint32 v)
{
	p[0] = (guint8)v;
	p[1] = (guint8)(v >> 8);
	p[2] = (guint8)(v >> 16);
	p[3] = (guint8)(v >> 24);
}

static guint32
bdfu_get_u32(const guint8 *p)
{
	return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

/* SDK 12 has no extended errors: every one of them is OPERATION_FAILED there (§8.1) */
static void
bdfu_target_respond(BdfuTarget *target, guint8 opcode, guint8 result, guint8 ext)
{
	guint8 buf[4] = {BDFU_OP_RESPONSE, opcode, result, ext};
	if (result == BDFU_RES_EXT_ERROR && target->config.sdk_major < 13)
		buf[2] = BDFU_RES_OPERATION_FAILED;
	if (result != BDFU_RES_SUCCESS)
		bdfu_target_log(target,
				"answer to 0x%02X: result 0x%02X ext 0x%02X",
				opcode,
				buf[2],
				buf[2] == BDFU_RES_EXT_ERROR ? ext : 0);
	bdfu_target_notify(target, buf, buf[2] == BDFU_RES_EXT_ERROR ? 4 : 3);
}

static void
bdfu_target_respond_crc(BdfuTarget *target, guint32 offset, guint32 crc)
{
	guint8 buf[11] = {BDFU_OP_RESPONSE, BDFU_OP_CALC_CRC, BDFU_RES_SUCCESS};
	bdfu_put_u32(buf + 3, offset);
	bdfu_put_u32(buf + 7, crc);
	bdfu_target_notify(target, buf, sizeof(buf));
}

static guint32
bdfu_target_command_max(BdfuTarget *target)
{
	return bdfu_target_sdk_at_least(target, 15, 3) ? 512 : 256;
}

void
bdfu_target_dfu_init(BdfuTarget *target)
{
	target->obj_type = BDFU_OBJ_COMMAND;
}

static void
bdfu_target_drop_progress(BdfuTarget *target)
{
	g_clear_pointer(&target->init, bdfu_init_packet_free);
	g_clear_pointer(&target->image, g_free);
	target->image_size = 0;
	target->fw_offset = target->fw_crc = 0;
	target->fw_offset_last = target->fw_crc_last = 0;
	target->data_object_size = 0;
}

void
bdfu_target_dfu_clear(BdfuTarget *target)
{
	bdfu_target_drop_progress(target);
}

/* the settings page write at the init Execute and (optionally) at every data Execute */
static void
bdfu_target_save(BdfuTarget *target)
{
	BdfuTargetSaved *saved = &target->saved;
	memcpy(saved->cmd, target->cmd, sizeof(saved->cmd));
	saved->cmd_size = target->cmd_size;
	saved->cmd_offset = target->cmd_offset;
	saved->cmd_crc = target->cmd_crc;
	saved->init_valid = target->init != NULL;
	saved->fw_offset = target->fw_offset_last;
	saved->fw_crc = target->fw_crc_last;
}

/* SDK 16 made saving data progress optional (NRF_DFU_SAVE_PROGRESS_IN_FLASH, default off);
 * older bootloaders write the settings after every data object [derived] */
static gboolean
bdfu_target_saves_data_progress(BdfuTarget *target)
{
	return target->config.sdk_major < 16 || target->config.save_progress_in_flash;
}

/* re-parses the saved init command; the image bytes already in flash stay where they are */
void
bdfu_target_dfu_restore_saved(BdfuTarget *target)
{
	BdfuTargetSaved *saved = &target->saved;
	g_autofree guint8 *image = g_steal_pointer(&target->image);
	guint32 image_size = target->image_size;

	g_clear_pointer(&target->init, bdfu_init_packet_free);
	target->image_size = 0;
	memcpy(target->cmd, saved->cmd, sizeof(target->cmd));
	target->cmd_size = saved->cmd_size;
	target->cmd_offset = saved->cmd_offset;
	target->cmd_crc = saved->cmd_crc;
	target->obj_type = BDFU_OBJ_COMMAND;
	target->prn_count = 0;
	target->data_object_size = 0;
	target->fw_offset = target->fw_offset_last = saved->fw_offset;
	target->fw_crc = target->fw_crc_last = saved->fw_crc;
	if (saved->init_valid)
		target->init = bdfu_init_packet_parse(target->cmd, target->cmd_size, NULL);
	if (target->init == NULL) {
		target->fw_offset = target->fw_offset_last = 0;
		target->fw_crc = target->fw_crc_last = 0;
		return;
	}
	target->image_size = (guint32)bdfu_init_packet_get_image_size(target->init);
	target->image = image != NULL && image_size == target->image_size
			    ? g_steal_pointer(&image)
			    : g_malloc0(target->image_size);
}

void
bdfu_target_dfu_link_lost(BdfuTarget *target)
{
	if (target->mode != BDFU_TARGET_MODE_DFU)
		return;
	/* SDK 16+ reload the settings from flash on TRANSPORT_DEACTIVATED; older ones keep
	 * their RAM progress (§3.5) */
	if (target->config.sdk_major >= 16 && !target->execute_pending &&
	    target->timers[BDFU_TIMER_COMPLETE] == BDFU_TARGET_NO_TIME) {
		bdfu_target_log(target,
				"link lost: progress reloaded from flash (offset %u)",
				target->saved.fw_offset);
		bdfu_target_dfu_restore_saved(target);
	}
}

/* retires finished flash operations, freeing their receive buffers */
void
bdfu_target_flash_catch_up(BdfuTarget *target)
{
	BdfuFlashOp *op;
	while ((op = g_queue_peek_head(&target->flash_ops)) != NULL && op->done_at <= target->now) {
		g_queue_pop_head(&target->flash_ops);
		if (op->holds_buffer && target->rx_in_use > 0)
			target->rx_in_use--;
		target->flash_bytes += op->bytes;
		g_free(op);
	}
}

static void
bdfu_target_flash_queue(BdfuTarget *target, guint64 duration_us, guint32 bytes, gboolean buffer)
{
	BdfuFlashOp *op = g_new0(BdfuFlashOp, 1);
	guint64 start = MAX(target->now, target->flash_free_at);
	op->done_at = start + duration_us * target->config.flash_slowdown;
	op->bytes = bytes;
	op->holds_buffer = buffer;
	target->flash_free_at = op->done_at;
	if (buffer)
		target->rx_in_use++;
	g_queue_push_tail(&target->flash_ops, op);
}

static gboolean
bdfu_target_flash_idle(BdfuTarget *target)
{
	bdfu_target_flash_catch_up(target);
	return g_queue_is_empty(&target->flash_ops);
}

static void
bdfu_target_handle_select(BdfuTarget *target, guint8 type)
{
	guint8 buf[15] = {BDFU_OP_RESPONSE, BDFU_OP_SELECT, BDFU_RES_SUCCESS};

	if (type == BDFU_OBJ_COMMAND) {
		bdfu_put_u32(buf + 3, bdfu_target_command_max(target));
		bdfu_put_u32(buf + 7, target->cmd_offset);
		bdfu_put_u32(buf + 11, target->cmd_crc);
	} else if (type == BDFU_OBJ_DATA) {
		bdfu_put_u32(buf + 3, BDFU_TARGET_DATA_MAX);
		bdfu_put_u32(buf + 7, target->fw_offset);
		bdfu_put_u32(buf + 11, target->fw_crc);
	} else {
		target->obj_type = 0;
		bdfu_target_respond(target,
				    BDFU_OP_SELECT,
				    target->config.sdk_major >= 15 ? BDFU_RES_INVALID_OBJECT
								   : BDFU_RES_UNSUPPORTED_TYPE,
				    0);
		return;
	}
	target->obj_type = type;
	bdfu_target_notify(target, buf, sizeof(buf));
}

static guint8
bdfu_target_create_command(BdfuTarget *target, guint32 size)
{
	if (size == 0)
		return BDFU_RES_INVALID_PARAMETER;
	if (size > bdfu_target_command_max(target))
		return BDFU_RES_INSUFFICIENT_RESOURCES;
	/* a new DFU: everything in RAM is forgotten */
	bdfu_target_drop_progress(target);
	target->cmd_size = size;
	target->cmd_offset = 0;
	target->cmd_crc = 0;
	bdfu_target_restart_inactivity(target);
	return BDFU_RES_SUCCESS;
}

static guint8
bdfu_target_create_data(BdfuTarget *target, guint32 size)
{
	guint32 pages;

	if (target->init == NULL)
		return BDFU_RES_OPERATION_NOT_PERMITTED;
	if (size == 0)
		return BDFU_RES_INVALID_PARAMETER;
	if (size % BDFU_TARGET_DATA_MAX != 0 &&
	    (guint64)target->fw_offset_last + size != target->image_size)
		return BDFU_RES_INVALID_PARAMETER;
	if (size > BDFU_TARGET_DATA_MAX)
		return BDFU_RES_INSUFFICIENT_RESOURCES;
	if ((guint64)target->fw_offset_last + size > target->image_size)
		return BDFU_RES_OPERATION_NOT_PERMITTED;
	/* bytes of an object that was never executed are discarded */
	target->fw_offset = target->fw_offset_last;
	target->fw_crc = target->fw_crc_last;
	target->data_object_size = size;
	pages = (size + target->page_size - 1) / target->page_size;
	/* the erase is only queued: the answer goes out before it is done (§9.1) */
	bdfu_target_flash_queue(target, pages * bdfu_target_page_erase_us(target), 0, FALSE);
	bdfu_target_log(target,
			"data object %u bytes at %u: erase of %u page(s) queued",
			size,
			target->fw_offset,
			pages);
	return BDFU_RES_SUCCESS;
}

static void
bdfu_target_handle_create(BdfuTarget *target, guint8 type, guint32 size)
{
	guint8 result;

	target->prn_count = 0;
	if (type == BDFU_OBJ_COMMAND) {
		target->obj_type = type;
		result = bdfu_target_create_command(target, size);
	} else if (type == BDFU_OBJ_DATA) {
		target->obj_type = type;
		result = bdfu_target_create_data(target, size);
	} else {
		target->obj_type = 0;
		result = target->config.sdk_major >= 15 ? BDFU_RES_INVALID_OBJECT
							: BDFU_RES_UNSUPPORTED_TYPE;
	}
	bdfu_target_respond(target, BDFU_OP_CREATE, result, 0);
}

static void
bdfu_target_handle_crc(BdfuTarget *target)
{
	if (target->obj_type == BDFU_OBJ_COMMAND)
		bdfu_target_respond_crc(target, target->cmd_offset, target->cmd_crc);
	else if (target->obj_type == BDFU_OBJ_DATA)
		bdfu_target_respond_crc(target, target->fw_offset, target->fw_crc);
	else
		bdfu_target_respond(target, BDFU_OP_CALC_CRC, BDFU_RES_INVALID_OBJECT, 0);
}

static void
bdfu_target_execute_command(BdfuTarget *target)
{
	guint8 ext = 0;
	guint8 result;

	if (target->cmd_offset != target->cmd_size) {
		result = BDFU_RES_OPERATION_NOT_PERMITTED;
	} else if (target->init != NULL) {
		result = BDFU_RES_SUCCESS; /* already validated */
	} else {
		result = bdfu_target_validate_init(target, &ext);
		if (result == BDFU_RES_SUCCESS)
			bdfu_target_save(target);
	}
	bdfu_target_respond(target, BDFU_OP_EXECUTE, result, ext);
}

/* the last Execute: post-validation, answer, then disconnect and reset (§3.6) */
static void
bdfu_target_finish_image(BdfuTarget *target)
{
	guint8 ext = 0;
	guint8 result = bdfu_target_validate_image(target, &ext);
	guint64 delay_us = target->config.sdk_major >= 15 ? 200000 : 120000;

	bdfu_target_respond(target, BDFU_OP_EXECUTE, result, ext);
	/* complete regardless of the result: the next DFU starts from nothing */
	bdfu_target_drop_progress(target);
	target->cmd_size = target->cmd_offset = target->cmd_crc = 0;
	memset(&target->saved, 0, sizeof(target->saved));
	bdfu_target_disarm(target, BDFU_TIMER_INACTIVITY);
	target->complete_reason =
	    result == BDFU_RES_SUCCESS ? "DFU complete" : "DFU complete, image rejected";
	bdfu_target_arm(target, BDFU_TIMER_COMPLETE, target->now + delay_us);
}

/* the Execute answer waits for the flash queue to drain */
void
bdfu_target_dfu_execute_due(BdfuTarget *target)
{
	if (!target->execute_pending)
		return;
	if (!bdfu_target_flash_idle(target)) {
		bdfu_target_arm(target, BDFU_TIMER_EXECUTE, target->flash_free_at);
		return;
	}
	target->execute_pending = FALSE;
	if (target->image != NULL && target->fw_offset == target->image_size)
		bdfu_target_finish_image(target);
	else
		bdfu_target_respond(target, BDFU_OP_EXECUTE, BDFU_RES_SUCCESS, 0);
}

static void
bdfu_target_execute_data(BdfuTarget *target)
{
	guint32 written = target->fw_offset - target->fw_offset_last;

	/* nothing created since the last Execute counts as "already executed" (§3.5) */
	if (target->init == NULL || target->data_object_size == 0 ||
	    target->data_object_size != written) {
		bdfu_target_respond(target, BDFU_OP_EXECUTE, BDFU_RES_OPERATION_NOT_PERMITTED, 0);
		return;
	}
	target->fw_offset_last = target->fw_offset;
	target->fw_crc_last = target->fw_crc;
	target->data_object_size = 0;
	if (bdfu_target_saves_data_progress(target))
		bdfu_target_save(target);
	bdfu_target_restart_inactivity(target);
	target->execute_pending = TRUE;
	bdfu_target_dfu_execute_due(target);
}

static void
bdfu_target_handle_execute(BdfuTarget *target)
{
	if (target->obj_type == BDFU_OBJ_COMMAND)
		bdfu_target_execute_command(target);
	else if (target->obj_type == BDFU_OBJ_DATA)
		bdfu_target_execute_data(target);
	else
		bdfu_target_respond(target, BDFU_OP_EXECUTE, BDFU_RES_INVALID_OBJECT, 0);
}

static void
bdfu_target_handle_abort(BdfuTarget *target)
{
	/* no answer: the aborted event resets the device first (§2.2) */
	bdfu_target_log(target, "Abort: resetting");
	if (target->config.sdk_major >= 16) {
		target->complete_reason = "DFU aborted by the client";
		bdfu_target_arm(target, BDFU_TIMER_COMPLETE, target->now + 200000);
		bdfu_target_disarm(target, BDFU_TIMER_INACTIVITY);
	} else {
		bdfu_target_reset(target, FALSE, "DFU aborted by the client");
	}
}

/* SDK 12-14 check the request length; SDK 15+ read whatever the buffer holds */
static gboolean
bdfu_target_length_ok(BdfuTarget *target, guint8 opcode, gsize len)
{
	if (target->config.sdk_major >= 15)
		return TRUE;
	switch (opcode) {
	case BDFU_OP_CREATE:
		return len == 6;
	case BDFU_OP_SET_PRN:
		return len == 3;
	case BDFU_OP_SELECT:
		return len == 2;
	default:
		return TRUE;
	}
}

static void
bdfu_target_handle_other(BdfuTarget *target, guint8 opcode)
{
	gboolean full_set = target->config.sdk_major == 15 && target->config.sdk_minor < 3;

	if (target->config.sdk_major < 15) {
		bdfu_target_respond(target, opcode, BDFU_RES_INVALID_PARAMETER, 0);
		return;
	}
	switch (opcode) {
	case BDFU_OP_PROTOCOL_VERSION:
	case BDFU_OP_GET_MTU:
	case BDFU_OP_PING:
	case BDFU_OP_HW_VERSION:
	case BDFU_OP_FW_VERSION:
		/* 15.0-15.2 handle them, but their BLE encoder sends the bare header */
		bdfu_target_respond(target,
				    opcode,
				    full_set ? BDFU_RES_SUCCESS : BDFU_RES_OP_CODE_NOT_SUPPORTED,
				    0);
		break;
	default:
		bdfu_target_respond(target, opcode, BDFU_RES_OP_CODE_NOT_SUPPORTED, 0);
		break;
	}
}

guint8
bdfu_target_dfu_write_cp(BdfuTarget *target, const guint8 *buf, gsize len)
{
	const guint8 *req = target->cp_buf;
	guint8 opcode;

	if (!target->cp_notify)
		return BDFU_TARGET_ATT_CCCD_ERROR;
	if (len == 0 || len > BDFU_TARGET_CP_MAX)
		return BDFU_TARGET_ATT_INVALID_LENGTH;
	if (target->config.never_answer) {
		bdfu_target_log(target, "CP request 0x%02X swallowed (never_answer)", buf[0]);
		return 0;
	}
	bdfu_target_flash_catch_up(target);
	memcpy(target->cp_buf, buf, len);
	opcode = req[0];
	if (!bdfu_target_length_ok(target, opcode, len)) {
		bdfu_target_respond(target, opcode, BDFU_RES_INVALID_PARAMETER, 0);
		return 0;
	}
	switch (opcode) {
	case BDFU_OP_CREATE:
		bdfu_target_handle_create(target, req[1], bdfu_get_u32(req + 2));
		break;
	case BDFU_OP_SET_PRN:
		target->prn = (guint16)(req[1] | (req[2] << 8));
		target->prn_count = 0;
		bdfu_target_respond(target, opcode, BDFU_RES_SUCCESS, 0);
		break;
	case BDFU_OP_CALC_CRC:
		bdfu_target_handle_crc(target);
		break;
	case BDFU_OP_EXECUTE:
		bdfu_target_handle_execute(target);
		break;
	case BDFU_OP_SELECT:
		bdfu_target_handle_select(target, req[1]);
		break;
	case BDFU_OP_ABORT:
		if (target->config.sdk_major >= 15) {
			bdfu_target_handle_abort(target);
			break;
		}
		bdfu_target_handle_other(target, opcode);
		break;
	default:
		bdfu_target_handle_other(target, opcode);
		break;
	}
	return 0;
}

/* the PRN is a checksum response; a failed write that triggers it carries the error, a
 * write lost in the flash layer carries zeros (§3.3) */
static void
bdfu_target_count_prn(BdfuTarget *target, guint8 result, gboolean flash_failed)
{
	if (target->prn == 0 || ++target->prn_count < target->prn)
		return;
	target->prn_count = 0;
	if (flash_failed)
		bdfu_target_respond_crc(target, 0, 0);
	else if (result != BDFU_RES_SUCCESS)
		bdfu_target_respond(target, BDFU_OP_CALC_CRC, result, 0);
	else if (target->obj_type == BDFU_OBJ_COMMAND)
		bdfu_target_respond_crc(target, target->cmd_offset, target->cmd_crc);
	else
		bdfu_target_respond_crc(target, target->fw_offset, target->fw_crc);
}

static guint8
bdfu_target_write_command(BdfuTarget *target, const guint8 *buf, gsize len)
{
	if ((guint64)target->cmd_offset + len > target->cmd_size)
		return BDFU_RES_INVALID_PARAMETER;
	memcpy(target->cmd + target->cmd_offset, buf, len);
	target->cmd_offset += (guint32)len;
	target->cmd_crc = bdfu_crc32(target->cmd_crc, buf, len);
	return BDFU_RES_SUCCESS;
}

gboolean
bdfu_target_dfu_write_packet(BdfuTarget *target, const guint8 *buf, gsize len)
{
	guint8 result = BDFU_RES_SUCCESS;
	guint32 in_object;

	if (len == 0 || len > (gsize)target->mtu - 3)
		return FALSE;
	bdfu_target_flash_catch_up(target);
	/* no receive buffer: lost before the request handler sees it, not counted */
	if (target->rx_in_use >= target->rx_buffers) {
		target->dropped++;
		bdfu_target_log(target,
				"Packet write dropped: no receive buffer (%u in use)",
				target->rx_in_use);
		return FALSE;
	}
	if (target->obj_type == BDFU_OBJ_COMMAND) {
		result = bdfu_target_write_command(target, buf, len);
		bdfu_target_count_prn(target, result, FALSE);
		return TRUE;
	}
	if (target->obj_type != BDFU_OBJ_DATA) {
		bdfu_target_count_prn(target, BDFU_RES_INVALID_OBJECT, FALSE);
		return TRUE;
	}
	in_object = target->fw_offset - target->fw_offset_last;
	if (target->init == NULL) {
		result = BDFU_RES_OPERATION_NOT_PERMITTED;
	} else if ((guint64)in_object + len > target->data_object_size) {
		result = BDFU_RES_INVALID_PARAMETER;
	} else if (len % 4 != 0 ||
		   g_queue_get_length(&target->flash_ops) >= BDFU_TARGET_FLASH_QUEUE) {
		/* the flash driver refuses it: silently lost, but counted for PRN */
		target->dropped++;
		bdfu_target_log(target,
				"Packet write dropped: %s",
				len % 4 != 0 ? "length not a multiple of 4" : "flash queue full");
		bdfu_target_count_prn(target, BDFU_RES_SUCCESS, TRUE);
		return FALSE;
	}
	if (result != BDFU_RES_SUCCESS) {
		bdfu_target_count_prn(target, result, FALSE);
		return TRUE;
	}
	memcpy(target->image + target->fw_offset, buf, len);
	target->fw_offset += (guint32)len;
	target->fw_crc = bdfu_crc32(target->fw_crc, buf, len);
	bdfu_target_flash_queue(
	    target, (guint64)(len / 4) * target->config.flash_word_write_us, (guint32)len, TRUE);
	bdfu_target_count_prn(target, BDFU_RES_SUCCESS, FALSE);
	return TRUE;
}
