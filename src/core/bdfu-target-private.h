/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals of the bootloader/application model shared by bdfu-target*.c. */

#include "core/bdfu-init-packet.h"
#include "core/bdfu-target.h"

#define BDFU_TARGET_DATA_MAX 4096u
#define BDFU_TARGET_FLASH_QUEUE 16u /* fstorage operations (§9.1) */
#define BDFU_TARGET_CP_MAX 23u	    /* CP value length */
#define BDFU_TARGET_INACTIVITY_US (120u * G_USEC_PER_SEC)
#define BDFU_TARGET_CONTINUATION_US (10u * G_USEC_PER_SEC)
#define BDFU_TARGET_APP_DATA_PAGES 3u
#define BDFU_TARGET_MBR_SIZE 0x1000u
#define BDFU_TARGET_NO_TIME G_MAXUINT64
#define BDFU_TARGET_HCI_REMOTE_USER_TERMINATED 0x13
#define BDFU_TARGET_HCI_CONNECTION_TIMEOUT 0x08
#define BDFU_TARGET_ATT_INVALID_HANDLE 0x01
#define BDFU_TARGET_ATT_INVALID_LENGTH 0x0D
#define BDFU_TARGET_ATT_CCCD_ERROR 0xFD

typedef enum {
	BDFU_TIMER_INACTIVITY,	/* DFU mode: reset after 120 s (or 10 s continuation) */
	BDFU_TIMER_EXECUTE,	/* an Execute waits for the flash queue to drain */
	BDFU_TIMER_COMPLETE,	/* after the last Execute: disconnect 0x13, then reset */
	BDFU_TIMER_BOOT,	/* RESETTING ends: activation and boot decision */
	BDFU_TIMER_SUPERVISION, /* reset without disconnect: the host notices later */
	BDFU_TIMER_APP_JUMP,	/* buttonless: the app shuts down into the bootloader */
	BDFU_TIMER_APP_ASYNC,	/* buttonless: settings write done, indicate */
	BDFU_TIMER_LAST
} BdfuTargetTimer;

typedef enum {
	BDFU_ACTIVATE_NONE,
	BDFU_ACTIVATE_APP,
	BDFU_ACTIVATE_SD,
	BDFU_ACTIVATE_BL,
	BDFU_ACTIVATE_SD_BL,
} BdfuTargetActivation;

/* the flash-saved part of the DFU progress (settings page) */
typedef struct {
	guint8 cmd[BDFU_INIT_PACKET_MAX_SIZE];
	guint32 cmd_size;
	guint32 cmd_offset;
	guint32 cmd_crc;
	gboolean init_valid;
	guint32 fw_offset;
	guint32 fw_crc;
} BdfuTargetSaved;

struct _BdfuTarget {
	BdfuTargetConfig config; /* owned copy */
	BdfuTargetCallbacks cb;
	gpointer user_data;
	BdfuKey *key;

	guint64 now;
	gboolean clock_started;
	guint64 timers[BDFU_TIMER_LAST];

	/* device */
	BdfuTargetMode mode;
	gchar *boot_reason;
	guint32 page_size;
	guint rx_buffers;
	guint16 sd_fwid;
	guint32 sd_id;
	guint32 sd_version;
	guint32 app_start;
	gboolean app_valid;
	GBytes *app_image;
	guint32 app_version;
	guint32 bl_version;
	gchar *dfu_name;       /* set through buttonless; NULL = "DfuTarg" */
	gboolean button_held;  /* start_in_dfu: consumed by the first boot */
	gboolean gpregret_dfu; /* buttonless asked for DFU mode */
	gboolean continuation; /* next DFU start follows an SD activation */

	/* link */
	gboolean connected;
	guint16 mtu;
	gboolean cp_notify;
	gboolean bl_indicate;
	gboolean peer_bonded;

	/* buttonless (application) */
	guint8 app_pending_op; /* 0 = idle */
	gboolean app_awaiting_confirm;
	gchar *app_pending_name;

	/* DFU request handler */
	guint8 cp_buf[BDFU_TARGET_CP_MAX]; /* SDK 15+ reads stale bytes of short writes */
	guint8 obj_type;		   /* 1, 2, or 0 after an invalid type */
	guint16 prn;
	guint prn_count;
	guint8 cmd[BDFU_INIT_PACKET_MAX_SIZE];
	guint32 cmd_size;
	guint32 cmd_offset;
	guint32 cmd_crc;
	BdfuInitPacket *init; /* non-NULL = valid init command present */
	guint8 *image;
	guint32 image_size;
	guint32 fw_offset;
	guint32 fw_crc;
	guint32 fw_offset_last;
	guint32 fw_crc_last;
	guint32 data_object_size;
	gboolean execute_pending;
	gboolean single_bank; /* the image is written over bank 0 (no copy at activation) */
	BdfuTargetSaved saved;

	/* flash: completion times of queued fstorage operations */
	GQueue flash_ops;
	guint64 flash_free_at;
	guint rx_in_use;
	guint64 flash_bytes;
	guint dropped;

	/* what the next reset activates */
	BdfuTargetActivation activation;
	GBytes *activation_image;
	guint32 activation_version;
	gboolean activation_has_version;
	guint32 activation_sd_size;
	guint64 copy_us;
	const gchar *complete_reason; /* why BDFU_TIMER_COMPLETE resets */
};

/* bdfu-target.c */
void
bdfu_target_log(BdfuTarget *target, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
void
bdfu_target_notify(BdfuTarget *target, const guint8 *buf, gsize len);
void
bdfu_target_indicate(BdfuTarget *target, const guint8 *buf, gsize len);
void
bdfu_target_arm(BdfuTarget *target, BdfuTargetTimer timer, guint64 at);
void
bdfu_target_disarm(BdfuTarget *target, BdfuTargetTimer timer);
gboolean
bdfu_target_sdk_at_least(BdfuTarget *target, guint major, guint minor);
/* drops the link from the target side (0x13 reaches the host) */
void
bdfu_target_drop_link(BdfuTarget *target, guint8 reason);
/* resets now: RESETTING for boot_time + copy time, then the boot decision */
void
bdfu_target_reset(BdfuTarget *target, gboolean disconnect_first, const gchar *why);
void
bdfu_target_restart_inactivity(BdfuTarget *target);
guint32
bdfu_target_bank0_end(BdfuTarget *target);
/* one flash page of this chip (config.page_erase_us is for a 4 KiB page) */
guint64
bdfu_target_page_erase_us(BdfuTarget *target);

/* bdfu-target-dfu.c */
void
bdfu_target_dfu_init(BdfuTarget *target);
void
bdfu_target_dfu_clear(BdfuTarget *target);
/* the bootloader starts: RAM progress is gone, the settings page is what remains */
void
bdfu_target_dfu_restore_saved(BdfuTarget *target);
void
bdfu_target_dfu_link_lost(BdfuTarget *target);
void
bdfu_target_flash_catch_up(BdfuTarget *target);
void
bdfu_target_dfu_execute_due(BdfuTarget *target);
guint8
bdfu_target_dfu_write_cp(BdfuTarget *target, const guint8 *buf, gsize len);
gboolean
bdfu_target_dfu_write_packet(BdfuTarget *target, const guint8 *buf, gsize len);

/* bdfu-target-validate.c: §8.1 at the init Execute, §3.6 at the last Execute; return the
 * result code and set *ext for BDFU_RES_EXT_ERROR */
guint8
bdfu_target_validate_init(BdfuTarget *target, guint8 *ext);
guint8
bdfu_target_validate_image(BdfuTarget *target, guint8 *ext);

/* bdfu-target-boot.c */
void
bdfu_target_boot(BdfuTarget *target);

/* bdfu-target-app.c */
void
bdfu_target_app_clear(BdfuTarget *target);
void
bdfu_target_app_link_lost(BdfuTarget *target);
void
bdfu_target_app_jump_due(BdfuTarget *target);
void
bdfu_target_app_async_due(BdfuTarget *target);
guint8
bdfu_target_app_write(BdfuTarget *target, const guint8 *buf, gsize len);
void
bdfu_target_app_confirm(BdfuTarget *target);
