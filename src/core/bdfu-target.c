/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-target.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/bdfu-image.h"
#include "core/bdfu-target-private.h"

#define BDFU_TARGET_DEFAULT_SD 0x100 /* S140 7.2.0 */
#define BDFU_TARGET_DEFAULT_NAME "Nordic_Buttonless"
#define BDFU_TARGET_DFU_NAME "DfuTarg"

void
bdfu_target_config_init(BdfuTargetConfig *config)
{
	g_return_if_fail(config != NULL);
	memset(config, 0, sizeof(*config));
	config->sdk_major = 17;
	config->sdk_minor = 1;
	config->hw_version = 52;
	config->sd_fwid = BDFU_TARGET_DEFAULT_SD;
	config->flash_size = 0x80000;
	config->app_valid = TRUE;
	config->flash_word_write_us = 41;
	config->page_erase_us = 85000;
	config->flash_slowdown = 1;
	config->boot_time_ms = 300;
	config->app_name = g_strdup(BDFU_TARGET_DEFAULT_NAME);
}

void
bdfu_target_config_clear(BdfuTargetConfig *config)
{
	if (config == NULL)
		return;
	g_clear_pointer(&config->app_image, g_bytes_unref);
	g_clear_pointer(&config->app_name, g_free);
}

void
bdfu_target_log(BdfuTarget *target, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	if (target->cb.log == NULL)
		return;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	target->cb.log(target->user_data, message);
}

void
bdfu_target_notify(BdfuTarget *target, const guint8 *buf, gsize len)
{
	/* notifications go nowhere without a link or with the CCCD off */
	if (!target->connected || !target->cp_notify || target->cb.notify == NULL)
		return;
	target->cb.notify(target->user_data, buf, len);
}

void
bdfu_target_indicate(BdfuTarget *target, const guint8 *buf, gsize len)
{
	if (!target->connected || !target->bl_indicate || target->cb.indicate == NULL)
		return;
	target->cb.indicate(target->user_data, buf, len);
}

void
bdfu_target_arm(BdfuTarget *target, BdfuTargetTimer timer, guint64 at)
{
	target->timers[timer] = at;
}

void
bdfu_target_disarm(BdfuTarget *target, BdfuTargetTimer timer)
{
	target->timers[timer] = BDFU_TARGET_NO_TIME;
}

gboolean
bdfu_target_sdk_at_least(BdfuTarget *target, guint major, guint minor)
{
	if (target->config.sdk_major != major)
		return target->config.sdk_major > major;
	return target->config.sdk_minor >= minor;
}

guint32
bdfu_target_bank0_end(BdfuTarget *target)
{
	guint32 reserved = BDFU_TARGET_APP_DATA_PAGES * target->page_size;
	if (target->config.bootloader_start < reserved)
		return 0;
	return target->config.bootloader_start - reserved;
}

guint64
bdfu_target_page_erase_us(BdfuTarget *target)
{
	return (guint64)target->config.page_erase_us * target->page_size / BDFU_TARGET_DATA_MAX;
}

/* "S132 5.0.0" → 5000000; 0 when the table has no version */
static guint32
bdfu_target_version_from_name(const gchar *name)
{
	guint major = 0, minor = 0, bugfix = 0;
	const gchar *space = name != NULL ? strchr(name, ' ') : NULL;
	if (space == NULL || sscanf(space + 1, "%u.%u.%u", &major, &minor, &bugfix) != 3)
		return 0;
	return major * 1000000 + minor * 1000 + bugfix;
}

static void
bdfu_target_resolve_config(BdfuTarget *target)
{
	BdfuTargetConfig *config = &target->config;
	const BdfuSoftDeviceInfo *sd = bdfu_softdevice_lookup(config->sd_fwid);

	config->sdk_major = CLAMP(config->sdk_major, 12, 17);
	if (config->flash_size == 0)
		config->flash_size = 0x80000;
	if (config->bootloader_start == 0 || config->bootloader_start >= config->flash_size)
		config->bootloader_start = config->flash_size - 0x8000;
	if (config->max_att_mtu < 23)
		config->max_att_mtu = config->sdk_major >= 15 ? 247 : 23;
	if (config->flash_slowdown == 0)
		config->flash_slowdown = 1;
	target->page_size = config->hw_version == 51 ? 0x400 : 0x1000;
	/* one receive buffer per Packet write, sized for the largest one (§9.4) */
	target->rx_buffers = BDFU_TARGET_DATA_MAX / (config->max_att_mtu - 3u) + 1u;

	target->sd_fwid = config->sd_fwid;
	target->sd_id = sd != NULL ? sd->sd_id : 0;
	target->sd_version = config->sd_version != 0 ? config->sd_version
			     : sd != NULL	     ? bdfu_target_version_from_name(sd->name)
						     : 0;
	if (config->app_start != 0)
		target->app_start = config->app_start;
	else if (config->sd_fwid == 0)
		target->app_start = BDFU_TARGET_MBR_SIZE;
	else if (sd != NULL && sd->app_start != 0)
		target->app_start = sd->app_start;
	else
		target->app_start = 0x26000;
	target->app_valid = config->app_valid;
	target->app_image = config->app_image != NULL ? g_bytes_ref(config->app_image) : NULL;
	target->app_version = config->app_version;
	target->bl_version = config->bootloader_version;
	target->button_held = config->start_in_dfu;
	target->peer_bonded = config->bonded;
}

BdfuTarget *
bdfu_target_new(const BdfuTargetConfig *config,
		const BdfuTargetCallbacks *callbacks,
		gpointer user_data)
{
	BdfuTarget *target;

	g_return_val_if_fail(config != NULL, NULL);
	target = g_new0(BdfuTarget, 1);
	target->config = *config;
	target->config.app_image =
	    config->app_image != NULL ? g_bytes_ref(config->app_image) : NULL;
	target->config.app_name =
	    g_strdup(config->app_name != NULL ? config->app_name : BDFU_TARGET_DEFAULT_NAME);
	bdfu_target_set_callbacks(target, callbacks, user_data);
	for (guint i = 0; i < BDFU_TIMER_LAST; i++)
		target->timers[i] = BDFU_TARGET_NO_TIME;
	g_queue_init(&target->flash_ops);
	bdfu_target_resolve_config(target);
	if (config->has_public_key) {
		g_autoptr(GError) error = NULL;
		target->key = bdfu_key_new_from_raw_le(config->public_key_le, 64, &error);
		/* a key that is not on the curve verifies nothing, like a wrong key */
		if (target->key == NULL)
			bdfu_target_log(target, "public key unusable: %s", error->message);
	}
	bdfu_target_dfu_init(target);
	bdfu_target_boot(target);
	return target;
}

void
bdfu_target_free(BdfuTarget *target)
{
	if (target == NULL)
		return;
	bdfu_target_dfu_clear(target);
	bdfu_target_app_clear(target);
	g_queue_clear_full(&target->flash_ops, g_free);
	g_clear_pointer(&target->key, bdfu_key_free);
	g_clear_pointer(&target->boot_reason, g_free);
	g_clear_pointer(&target->app_image, g_bytes_unref);
	g_clear_pointer(&target->activation_image, g_bytes_unref);
	g_clear_pointer(&target->dfu_name, g_free);
	bdfu_target_config_clear(&target->config);
	g_free(target);
}

void
bdfu_target_set_callbacks(BdfuTarget *target,
			  const BdfuTargetCallbacks *callbacks,
			  gpointer user_data)
{
	g_return_if_fail(target != NULL);
	if (callbacks != NULL)
		target->cb = *callbacks;
	else
		memset(&target->cb, 0, sizeof(target->cb));
	target->user_data = user_data;
}

/* both sides forget the link; progress rules per SDK (§3.5) */
static void
bdfu_target_link_gone(BdfuTarget *target)
{
	bdfu_target_dfu_link_lost(target);
	bdfu_target_app_link_lost(target);
	target->connected = FALSE;
	target->cp_notify = FALSE;
	target->bl_indicate = FALSE;
}

void
bdfu_target_drop_link(BdfuTarget *target, guint8 reason)
{
	gboolean was = target->connected;

	bdfu_target_link_gone(target);
	if (was && target->cb.disconnected != NULL)
		target->cb.disconnected(target->user_data, reason);
}

void
bdfu_target_restart_inactivity(BdfuTarget *target)
{
	/* SDK 12 and 13 have no inactivity timer (§10) */
	if (target->mode != BDFU_TARGET_MODE_DFU || target->config.sdk_major < 14)
		return;
	bdfu_target_arm(target, BDFU_TIMER_INACTIVITY, target->now + BDFU_TARGET_INACTIVITY_US);
}

void
bdfu_target_reset(BdfuTarget *target, gboolean disconnect_first, const gchar *why)
{
	guint64 boot_us = (guint64)target->config.boot_time_ms * 1000;
	g_autofree gchar *reason = NULL;

	if (disconnect_first) {
		bdfu_target_drop_link(target, BDFU_TARGET_HCI_REMOTE_USER_TERMINATED);
	} else if (target->connected) {
		/* the radio just stops: the central sees a supervision timeout */
		guint64 timeout_us = target->config.sdk_major >= 15 ? 6000000 : 4000000;
		bdfu_target_link_gone(target);
		bdfu_target_arm(target, BDFU_TIMER_SUPERVISION, target->now + timeout_us);
	}
	for (guint i = 0; i < BDFU_TIMER_LAST; i++) {
		if (i != BDFU_TIMER_SUPERVISION)
			bdfu_target_disarm(target, i);
	}
	target->execute_pending = FALSE;
	bdfu_target_dfu_restore_saved(target);
	target->mode = BDFU_TARGET_MODE_RESETTING;
	reason = g_strdup_printf("reset: %s", why);
	g_free(target->boot_reason);
	target->boot_reason = g_strdup(reason);
	bdfu_target_log(target,
			"%s; booting in %" G_GUINT64_FORMAT " ms",
			reason,
			(boot_us + target->copy_us) / 1000);
	bdfu_target_arm(target, BDFU_TIMER_BOOT, target->now + boot_us + target->copy_us);
	if (target->cb.mode_changed != NULL)
		target->cb.mode_changed(target->user_data, target->mode, reason);
}

static void
bdfu_target_fire(BdfuTarget *target, BdfuTargetTimer timer)
{
	bdfu_target_disarm(target, timer);
	switch (timer) {
	case BDFU_TIMER_INACTIVITY:
		bdfu_target_reset(target, FALSE, "no DFU activity, inactivity timeout");
		break;
	case BDFU_TIMER_EXECUTE:
		bdfu_target_dfu_execute_due(target);
		break;
	case BDFU_TIMER_COMPLETE:
		bdfu_target_reset(target,
				  TRUE,
				  target->complete_reason != NULL ? target->complete_reason
								  : "DFU complete");
		break;
	case BDFU_TIMER_BOOT:
		bdfu_target_boot(target);
		break;
	case BDFU_TIMER_SUPERVISION:
		if (target->cb.disconnected != NULL)
			target->cb.disconnected(target->user_data,
						BDFU_TARGET_HCI_CONNECTION_TIMEOUT);
		break;
	case BDFU_TIMER_APP_JUMP:
		bdfu_target_app_jump_due(target);
		break;
	case BDFU_TIMER_APP_ASYNC:
		bdfu_target_app_async_due(target);
		break;
	default:
		break;
	}
}

void
bdfu_target_advance(BdfuTarget *target, guint64 now_us)
{
	g_return_if_fail(target != NULL);
	/* whatever happened before the first advance happened at its time */
	if (!target->clock_started) {
		target->clock_started = TRUE;
		for (guint i = 0; i < BDFU_TIMER_LAST; i++) {
			if (target->timers[i] != BDFU_TARGET_NO_TIME)
				target->timers[i] += now_us - target->now;
		}
		for (GList *l = target->flash_ops.head; l != NULL; l = l->next)
			*(guint64 *)l->data += now_us - target->now;
		if (target->flash_free_at > 0)
			target->flash_free_at += now_us - target->now;
		target->now = now_us;
	}
	for (;;) {
		BdfuTargetTimer due = BDFU_TIMER_LAST;
		guint64 at = now_us;
		for (guint i = 0; i < BDFU_TIMER_LAST; i++) {
			if (target->timers[i] <= at) {
				at = target->timers[i];
				due = i;
			}
		}
		if (due == BDFU_TIMER_LAST)
			break;
		/* events chain at their own time, not at the caller's */
		target->now = MAX(target->now, at);
		bdfu_target_flash_catch_up(target);
		bdfu_target_fire(target, due);
	}
	target->now = MAX(target->now, now_us);
	bdfu_target_flash_catch_up(target);
}

guint64
bdfu_target_next_event_us(BdfuTarget *target)
{
	guint64 next = G_MAXUINT64;
	g_return_val_if_fail(target != NULL, G_MAXUINT64);
	for (guint i = 0; i < BDFU_TIMER_LAST; i++)
		next = MIN(next, target->timers[i]);
	return next;
}

BdfuTargetMode
bdfu_target_get_mode(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, BDFU_TARGET_MODE_SILENT);
	return target->mode;
}

guint
bdfu_target_get_address_increment(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, 0);
	return target->mode == BDFU_TARGET_MODE_DFU && !target->config.bonded ? 1 : 0;
}

const gchar *
bdfu_target_get_adv_name(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, NULL);
	switch (target->mode) {
	case BDFU_TARGET_MODE_APP:
		return target->config.app_name;
	case BDFU_TARGET_MODE_DFU:
		return target->dfu_name != NULL ? target->dfu_name : BDFU_TARGET_DFU_NAME;
	default:
		return NULL;
	}
}

const gchar *
bdfu_target_get_boot_reason(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, NULL);
	return target->boot_reason;
}

guint32
bdfu_target_get_app_version(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, 0);
	return target->app_version;
}

gboolean
bdfu_target_get_app_valid(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, FALSE);
	return target->app_valid;
}

guint16
bdfu_target_get_sd_fwid(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, 0);
	return target->sd_fwid;
}

gboolean
bdfu_target_is_bonded(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, FALSE);
	return target->config.bonded;
}

gboolean
bdfu_target_connect(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, FALSE);
	if (target->connected)
		return FALSE;
	if (target->mode != BDFU_TARGET_MODE_APP && target->mode != BDFU_TARGET_MODE_DFU)
		return FALSE;
	/* the bonded bootloader only accepts connect requests from its whitelist */
	if (target->mode == BDFU_TARGET_MODE_DFU && target->config.bonded && !target->peer_bonded)
		return FALSE;
	/* a central connecting again has given up the old link by now */
	bdfu_target_disarm(target, BDFU_TIMER_SUPERVISION);
	target->connected = TRUE;
	target->mtu = 23;
	target->cp_notify = FALSE;
	target->bl_indicate = FALSE;
	bdfu_target_log(target,
			"connected (%s mode)",
			target->mode == BDFU_TARGET_MODE_DFU ? "DFU" : "application");
	return TRUE;
}

void
bdfu_target_disconnect(BdfuTarget *target)
{
	g_return_if_fail(target != NULL);
	if (!target->connected)
		return;
	bdfu_target_log(target, "the central disconnected");
	/* the host knows it dropped the link: no callback */
	bdfu_target_link_gone(target);
}

gboolean
bdfu_target_is_connected(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, FALSE);
	return target->connected;
}

void
bdfu_target_set_peer_bonded(BdfuTarget *target, gboolean bonded)
{
	g_return_if_fail(target != NULL);
	target->peer_bonded = bonded;
}

guint16
bdfu_target_exchange_mtu(BdfuTarget *target, guint16 requested)
{
	guint16 mtu;

	g_return_val_if_fail(target != NULL, 23);
	if (!target->connected)
		return 23;
	if (target->config.sdk_major <= 13) {
		mtu = 23; /* hard-coded before SDK 14 */
	} else {
		mtu = MIN(MAX(requested, 23), target->config.max_att_mtu);
		/* SDK 15+ grant only MTUs whose payload is a multiple of 4 */
		if (target->config.sdk_major >= 15)
			mtu = (guint16)(((mtu - 3u) & ~3u) + 3u);
	}
	target->mtu = mtu;
	return mtu;
}

void
bdfu_target_set_cp_notify(BdfuTarget *target, gboolean enabled)
{
	g_return_if_fail(target != NULL);
	if (target->connected && target->mode == BDFU_TARGET_MODE_DFU)
		target->cp_notify = enabled;
}

guint8
bdfu_target_write_cp(BdfuTarget *target, const guint8 *buf, gsize len)
{
	g_return_val_if_fail(target != NULL, BDFU_TARGET_ATT_INVALID_HANDLE);
	g_return_val_if_fail(buf != NULL || len == 0, BDFU_TARGET_ATT_INVALID_HANDLE);
	if (!target->connected || target->mode != BDFU_TARGET_MODE_DFU)
		return BDFU_TARGET_ATT_INVALID_HANDLE;
	return bdfu_target_dfu_write_cp(target, buf, len);
}

gboolean
bdfu_target_write_packet(BdfuTarget *target, const guint8 *buf, gsize len)
{
	g_return_val_if_fail(target != NULL, FALSE);
	g_return_val_if_fail(buf != NULL || len == 0, FALSE);
	if (!target->connected || target->mode != BDFU_TARGET_MODE_DFU)
		return FALSE;
	return bdfu_target_dfu_write_packet(target, buf, len);
}

void
bdfu_target_set_buttonless_indicate(BdfuTarget *target, gboolean enabled)
{
	g_return_if_fail(target != NULL);
	if (target->connected && target->mode == BDFU_TARGET_MODE_APP)
		target->bl_indicate = enabled;
}

guint8
bdfu_target_write_buttonless(BdfuTarget *target, const guint8 *buf, gsize len)
{
	g_return_val_if_fail(target != NULL, BDFU_TARGET_ATT_INVALID_HANDLE);
	g_return_val_if_fail(buf != NULL || len == 0, BDFU_TARGET_ATT_INVALID_HANDLE);
	if (!target->connected || target->mode != BDFU_TARGET_MODE_APP)
		return BDFU_TARGET_ATT_INVALID_HANDLE;
	return bdfu_target_app_write(target, buf, len);
}

void
bdfu_target_confirm_indication(BdfuTarget *target)
{
	g_return_if_fail(target != NULL);
	if (target->connected && target->mode == BDFU_TARGET_MODE_APP)
		bdfu_target_app_confirm(target);
}

guint
bdfu_target_get_dropped_packets(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, 0);
	return target->dropped;
}

guint64
bdfu_target_get_flash_bytes_written(BdfuTarget *target)
{
	g_return_val_if_fail(target != NULL, 0);
	bdfu_target_flash_catch_up(target);
	return target->flash_bytes;
}
