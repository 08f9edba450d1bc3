/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every reset: activate what the last DFU left in bank 1, then decide between DFU mode and the
 * application, and whether the application really runs (PROTOCOL.md §3.6, §8.2, §8.4 and
 * fixtures/seed/REPORT.md). */
#include "core/bdfu-image.h"
#include "core/bdfu-proto.h"
#include "core/bdfu-target-private.h"

static guint32
bdfu_target_round_page(BdfuTarget *target, guint32 value)
{
	return (value + target->page_size - 1) / target->page_size * target->page_size;
}

static void
bdfu_target_activate_softdevice(BdfuTarget *target, const guint8 *image, gsize len)
{
	BdfuSdInfoStruct sd = {0};
	gboolean major_changed;
	guint32 app_start;

	/* post-validation found it, so it is there */
	if (!bdfu_image_find_sd_info(image, MIN(len, target->activation_sd_size), &sd))
		return;
	app_start = bdfu_target_round_page(target, sd.sd_end);
	/* old info structs carry no version: only the app start tells then */
	major_changed = sd.version != 0 && target->sd_version != 0 &&
			sd.version / 1000000 != target->sd_version / 1000000;
	if (target->app_valid && (app_start != target->app_start || major_changed)) {
		bdfu_target_log(target,
				"the new SoftDevice moves the application start from 0x%X "
				"to 0x%X or changes its major version: application "
				"invalidated",
				target->app_start,
				app_start);
		target->app_valid = FALSE;
	}
	target->sd_fwid = sd.fwid;
	target->sd_id = sd.sd_id;
	target->sd_version = sd.version;
	target->app_start = app_start;
}

/* TRUE when a SoftDevice was activated */
static gboolean
bdfu_target_activate(BdfuTarget *target)
{
	BdfuTargetActivation what = target->activation;
	g_autoptr(GBytes) image = g_steal_pointer(&target->activation_image);
	gsize len = 0;
	const guint8 *data = image != NULL ? g_bytes_get_data(image, &len) : NULL;

	target->activation = BDFU_ACTIVATE_NONE;
	switch (what) {
	case BDFU_ACTIVATE_APP:
		g_clear_pointer(&target->app_image, g_bytes_unref);
		target->app_image = g_steal_pointer(&image);
		target->app_valid = TRUE;
		if (target->activation_has_version)
			target->app_version = target->activation_version;
		return FALSE;
	case BDFU_ACTIVATE_SD:
		bdfu_target_activate_softdevice(target, data, len);
		return TRUE;
	case BDFU_ACTIVATE_SD_BL:
		bdfu_target_activate_softdevice(target, data, len);
		target->bl_version = target->activation_version;
		return TRUE;
	case BDFU_ACTIVATE_BL:
		target->bl_version = target->activation_version;
		return FALSE;
	default:
		return FALSE;
	}
}

static void
bdfu_target_set_mode(BdfuTarget *target, BdfuTargetMode mode, gchar *reason)
{
	gboolean first = target->boot_reason == NULL;

	target->mode = mode;
	g_free(target->boot_reason);
	target->boot_reason = reason;
	bdfu_target_log(target, "%s", reason);
	/* the boot inside bdfu_target_new() is the initial state, not a change */
	if (!first && target->cb.mode_changed != NULL)
		target->cb.mode_changed(target->user_data, mode, reason);
}

static void
bdfu_target_enter_dfu(BdfuTarget *target, gboolean after_sd, gchar *reason)
{
	target->gpregret_dfu = FALSE;
	target->button_held = FALSE;
	target->obj_type = BDFU_OBJ_COMMAND;
	target->prn = 0;
	target->prn_count = 0;
	bdfu_target_set_mode(target, BDFU_TARGET_MODE_DFU, reason);
	bdfu_target_restart_inactivity(target);
	/* a still-valid app gets its chance again soon (NRF_BL_DFU_CONTINUATION_TIMEOUT_MS) */
	if (after_sd && target->app_valid && target->config.sdk_major >= 15)
		bdfu_target_arm(
		    target, BDFU_TIMER_INACTIVITY, target->now + BDFU_TARGET_CONTINUATION_US);
}

static gchar *
bdfu_target_why_not_running(BdfuTarget *target, const guint8 *image, gsize len, gchar *why)
{
	guint32 reset = len >= 8 ? ((guint32)image[4] | ((guint32)image[5] << 8) |
				    ((guint32)image[6] << 16) | ((guint32)image[7] << 24))
				 : 0;
	guint32 target_pc = reset & ~1u;

	if (target_pc >= target->config.bootloader_start && target_pc < target->config.flash_size) {
		g_free(why);
		return g_strdup_printf("the bootloader started the application at 0x%X, but its "
				       "reset vector 0x%08X jumps into the resident bootloader at "
				       "0x%X, which starts the same image again: a boot loop with "
				       "no radio (a bootloader packaged as an application)",
				       target->app_start,
				       reset,
				       target->config.bootloader_start);
	}
	{
		gchar *text = g_strdup_printf("the bootloader started the application at 0x%X "
					      "(%" G_GSIZE_FORMAT " bytes, bank 0 valid), but %s; "
					      "the application never runs and the device is silent",
					      target->app_start,
					      len,
					      why);
		g_free(why);
		return text;
	}
}

static void
bdfu_target_start_app(BdfuTarget *target)
{
	gsize len = 0;
	const guint8 *image;
	gchar *why = NULL;

	/* the buttonless name lives until the app is booted normally (§5) */
	g_clear_pointer(&target->dfu_name, g_free);
	if (target->app_image == NULL) {
		bdfu_target_set_mode(
		    target,
		    BDFU_TARGET_MODE_APP,
		    g_strdup_printf("application at 0x%X valid: started", target->app_start));
		return;
	}
	image = g_bytes_get_data(target->app_image, &len);
	if (bdfu_image_app_would_run(image, len, target->app_start, &why)) {
		guint32 reset = (guint32)image[4] | ((guint32)image[5] << 8) |
				((guint32)image[6] << 16) | ((guint32)image[7] << 24);
		bdfu_target_set_mode(target,
				     BDFU_TARGET_MODE_APP,
				     g_strdup_printf("application at 0x%X valid (%" G_GSIZE_FORMAT
						     " bytes), reset vector 0x%08X inside it: "
						     "started",
						     target->app_start,
						     len,
						     reset));
		return;
	}
	bdfu_target_set_mode(
	    target, BDFU_TARGET_MODE_SILENT, bdfu_target_why_not_running(target, image, len, why));
}

void
bdfu_target_boot(BdfuTarget *target)
{
	gboolean after_sd = bdfu_target_activate(target);

	target->copy_us = 0;
	if (after_sd) {
		bdfu_target_enter_dfu(
		    target,
		    TRUE,
		    g_strdup_printf("SoftDevice 0x%02X activated (applications start at 0x%X); "
				    "%s",
				    target->sd_fwid,
				    target->app_start,
				    target->app_valid && target->config.sdk_major >= 15
					? "DFU mode for 10 s, waiting for the application"
					: "no valid application: DFU mode"));
	} else if (target->button_held) {
		bdfu_target_enter_dfu(
		    target, FALSE, g_strdup("the DFU button was held at reset: DFU mode"));
	} else if (target->gpregret_dfu) {
		bdfu_target_enter_dfu(target,
				      FALSE,
				      g_strdup("the application asked for the bootloader "
					       "(buttonless, GPREGRET 0xB1): DFU mode"));
	} else if (!target->app_valid) {
		bdfu_target_enter_dfu(target,
				      FALSE,
				      g_strdup_printf("no valid application in bank 0 (0x%X): "
						      "DFU mode",
						      target->app_start));
	} else {
		bdfu_target_start_app(target);
	}
}
