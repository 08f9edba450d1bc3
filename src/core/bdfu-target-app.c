/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The application's buttonless DFU service, unbonded 8EC90003 and bonded 8EC90004
 * (PROTOCOL.md §5). */
#include <string.h>

#include "core/bdfu-proto.h"
#include "core/bdfu-target-private.h"

/* a settings-page write through the SVCI: one erase and one page write */
static guint64
bdfu_target_settings_write_us(BdfuTarget *target)
{
	guint64 write_us = (guint64)(target->page_size / 4) * target->config.flash_word_write_us;
	return (bdfu_target_page_erase_us(target) + write_us) * target->config.flash_slowdown;
}

void
bdfu_target_app_clear(BdfuTarget *target)
{
	g_clear_pointer(&target->app_pending_name, g_free);
	target->app_pending_op = 0;
	target->app_awaiting_confirm = FALSE;
}

static void
bdfu_target_app_respond(BdfuTarget *target, guint8 opcode, guint8 result)
{
	guint8 buf[3] = {BDFU_BUTTONLESS_OP_RESPONSE, opcode, result};
	/* SDK 12/13 define only success, not supported and operation failed */
	if (target->config.sdk_major < 14 && result > BDFU_BUTTONLESS_RES_OPERATION_FAILED)
		buf[2] = BDFU_BUTTONLESS_RES_OPERATION_FAILED;
	if (result != BDFU_BUTTONLESS_RES_SUCCESS)
		bdfu_target_log(target, "buttonless 0x%02X answered 0x%02X", opcode, buf[2]);
	bdfu_target_indicate(target, buf, sizeof(buf));
}

void
bdfu_target_app_link_lost(BdfuTarget *target)
{
	if (target->mode != BDFU_TARGET_MODE_APP)
		return;
	/* the indication went out: losing the link before the confirmation still lets the app
	 * reset into the bootloader */
	if (target->app_pending_op == BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER &&
	    target->app_awaiting_confirm) {
		target->app_awaiting_confirm = FALSE;
		bdfu_target_arm(target, BDFU_TIMER_APP_JUMP, target->now);
	}
}

void
bdfu_target_app_jump_due(BdfuTarget *target)
{
	bdfu_target_app_clear(target);
	target->gpregret_dfu = TRUE;
	bdfu_target_reset(target, TRUE, "the application resets into the bootloader (buttonless)");
}

void
bdfu_target_app_async_due(BdfuTarget *target)
{
	guint8 op = target->app_pending_op;

	if (op == BDFU_BUTTONLESS_OP_SET_NAME) {
		g_free(target->dfu_name);
		target->dfu_name = g_steal_pointer(&target->app_pending_name);
		target->app_pending_op = 0;
		bdfu_target_log(target, "bootloader will advertise as \"%s\"", target->dfu_name);
		bdfu_target_app_respond(target, op, BDFU_BUTTONLESS_RES_SUCCESS);
		return;
	}
	if (op == BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER) {
		/* bonded: the peer's keys are in the bootloader settings now; with the peer
		 * gone nobody confirms, so the app goes on into the bootloader */
		if (!target->connected) {
			bdfu_target_arm(target, BDFU_TIMER_APP_JUMP, target->now);
			return;
		}
		target->app_awaiting_confirm = TRUE;
		bdfu_target_app_respond(target, op, BDFU_BUTTONLESS_RES_SUCCESS);
	}
}

static guint8
bdfu_target_app_enter(BdfuTarget *target)
{
	if (target->config.bonded) {
		if (!target->peer_bonded)
			return BDFU_BUTTONLESS_RES_NOT_BONDED;
		target->app_pending_op = BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER;
		bdfu_target_arm(target,
				BDFU_TIMER_APP_ASYNC,
				target->now + bdfu_target_settings_write_us(target));
		return 0;
	}
	target->app_pending_op = BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER;
	target->app_awaiting_confirm = TRUE;
	return BDFU_BUTTONLESS_RES_SUCCESS;
}

static guint8
bdfu_target_app_set_name(BdfuTarget *target, const guint8 *buf, gsize len)
{
	guint name_len;

	if (target->config.bonded || target->config.sdk_major < 14)
		return BDFU_BUTTONLESS_RES_OP_CODE_NOT_SUPPORTED;
	name_len = len >= 2 ? buf[1] : 0;
	if (name_len == 0 || name_len > BDFU_BUTTONLESS_NAME_MAX || len < 2u + name_len)
		return BDFU_BUTTONLESS_RES_INVALID_ADV_NAME;
	/* written once until the app boots normally again [exact code unverified, §11] */
	if (target->dfu_name != NULL)
		return BDFU_BUTTONLESS_RES_OPERATION_FAILED;
	target->app_pending_op = BDFU_BUTTONLESS_OP_SET_NAME;
	target->app_pending_name = g_strndup((const gchar *)buf + 2, name_len);
	bdfu_target_arm(
	    target, BDFU_TIMER_APP_ASYNC, target->now + bdfu_target_settings_write_us(target));
	return 0;
}

guint8
bdfu_target_app_write(BdfuTarget *target, const guint8 *buf, gsize len)
{
	guint8 opcode;
	guint8 result;

	if (!target->bl_indicate)
		return BDFU_TARGET_ATT_CCCD_ERROR;
	if (len == 0)
		return BDFU_TARGET_ATT_INVALID_LENGTH;
	opcode = buf[0];
	if (target->app_pending_op != 0) {
		bdfu_target_app_respond(target, opcode, BDFU_BUTTONLESS_RES_BUSY);
		return 0;
	}
	switch (opcode) {
	case BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER:
		result = bdfu_target_app_enter(target);
		break;
	case BDFU_BUTTONLESS_OP_SET_NAME:
		result = bdfu_target_app_set_name(target, buf, len);
		break;
	default:
		result = BDFU_BUTTONLESS_RES_OP_CODE_NOT_SUPPORTED;
		break;
	}
	/* 0: the answer comes when the asynchronous part is done */
	if (result != 0)
		bdfu_target_app_respond(target, opcode, result);
	return 0;
}

void
bdfu_target_app_confirm(BdfuTarget *target)
{
	if (target->app_pending_op != BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER ||
	    !target->app_awaiting_confirm)
		return;
	target->app_awaiting_confirm = FALSE;
	/* bonded: Service Changed is stored before the reset */
	bdfu_target_arm(target,
			BDFU_TIMER_APP_JUMP,
			target->now +
			    (target->config.bonded ? bdfu_target_settings_write_us(target) : 0));
}
