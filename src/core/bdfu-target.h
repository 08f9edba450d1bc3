/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A model of an nRF5 device running the SDK 12-17.1 Secure DFU bootloader and an application
 * with the buttonless service (PROTOCOL.md §1, §2, §3.7, §5, §8, §9). No I/O, no main loop:
 * time is given to it with bdfu_target_advance(); everything it says comes out through the
 * callbacks. The link layer (connection events, packet loss) lives in BdfuLink. */

typedef struct _BdfuTarget BdfuTarget;

typedef enum {
	BDFU_TARGET_MODE_APP,	     /* application running, advertising at its address */
	BDFU_TARGET_MODE_DFU,	     /* bootloader in DFU mode, "DfuTarg" at address+1 (unbonded) */
	BDFU_TARGET_MODE_RESETTING,  /* between reset and the next advertisement */
	BDFU_TARGET_MODE_SILENT,     /* jumped into something that is not an app: no radio */
} BdfuTargetMode;

typedef struct {
	guint sdk_major;	   /* 12..17; behaviour per PROTOCOL.md §10 (default 17) */
	guint sdk_minor;	   /* 15.3+ differences (init max 512, reduced opcodes); default 1 */
	guint32 hw_version;	   /* NRF_DFU_HW_VERSION (default 52) */
	guint16 sd_fwid;	   /* installed SoftDevice FWID; 0 = none (default 0x100 S140 7.2.0) */
	guint32 sd_version;	   /* M*1000000+m*1000+b of the installed SD (0 = from the table) */
	guint32 app_start;	   /* 0 = from the FWID table */
	guint32 flash_size;	   /* default 0x80000 (nRF52832) */
	guint32 bootloader_start;  /* default flash_size - 0x8000 */
	guint32 app_version;	   /* stored application version */
	guint32 bootloader_version;
	gboolean has_public_key;   /* absent = signatures not required */
	guint8 public_key_le[64];  /* x‖y little-endian, as in dfu_public_key.c */
	gboolean bonded;	   /* bonded bootloader: same address, 8EC90004 buttonless */
	gboolean debug_bootloader; /* accepts is_debug packets and skips hw/sd/version checks */
	gboolean start_in_dfu;	   /* boot into DFU mode (no valid app, or a button held) */
	gboolean app_valid;	   /* an application is installed and valid (default TRUE) */
	GBytes *app_image;	   /* the installed app's bytes, for the boot check (may be NULL) */
	guint16 max_att_mtu;	   /* 247 for SDK 15+, 23 before */
	gboolean save_progress_in_flash; /* SDK 16+: NRF_DFU_SAVE_PROGRESS_IN_FLASH (default 0) */
	guint32 flash_word_write_us;	 /* 41 */
	guint32 page_erase_us;		 /* 85000, per 4 KiB (nRF51 1 KiB pages: a quarter) */
	guint32 flash_slowdown;		 /* multiplier for "slow flash" faults (1) */
	gboolean never_answer;		 /* fault: CP requests vanish */
	guint32 boot_time_ms;		 /* reset to first advertisement (default 300); an
					  * activation adds the bank copy: pages x (erase +
					  * page write) x flash_slowdown */
	gchar *app_name;		 /* application's advertised name */
} BdfuTargetConfig;
/* Defaults left at 0 by bdfu_target_config_init() and resolved by bdfu_target_new():
 * sd_version, app_start (FWID table), bootloader_start, max_att_mtu (247 from SDK 15, else 23).
 * Pages are 1 KiB when hw_version is 51 (nRF51), else 4 KiB. */

void
bdfu_target_config_init(BdfuTargetConfig *config);
void
bdfu_target_config_clear(BdfuTargetConfig *config);

/* When the callbacks run: CP answers, PRNs and buttonless answers that need no flash are
 * called synchronously from inside write_cp()/write_packet()/write_buttonless(), after the
 * target's state is updated; answers that wait for flash (data Execute, the last Execute,
 * set-name, bonded enter), disconnects and mode changes are called from inside advance() at
 * the virtual time they are due. The callbacks must not free the target. */
typedef struct {
	/* a CP notification (bootloader) */
	void (*notify)(gpointer user_data, const guint8 *buf, gsize len);
	/* a buttonless indication (application) */
	void (*indicate)(gpointer user_data, const guint8 *buf, gsize len);
	/* the target dropped the link (reason: HCI code, 0x13 after the last Execute and the
	 * buttonless jump; 0x08 supervision timeout when it reset without disconnecting:
	 * inactivity, Abort in SDK 15.x). Not called for bdfu_target_disconnect(). */
	void (*disconnected)(gpointer user_data, guint8 reason);
	/* the mode changed: RESETTING at a reset, then the mode the boot decided; reason explains
	 * it (not called for the initial boot inside bdfu_target_new()) */
	void (*mode_changed)(gpointer user_data, BdfuTargetMode mode, const gchar *reason);
	void (*log)(gpointer user_data, const gchar *message);
} BdfuTargetCallbacks;

BdfuTarget *
bdfu_target_new(const BdfuTargetConfig *config,
		const BdfuTargetCallbacks *callbacks,
		gpointer user_data);
void
bdfu_target_free(BdfuTarget *target);
/* replaces the callbacks (the link model installs its own); callbacks may be NULL */
void
bdfu_target_set_callbacks(BdfuTarget *target,
			  const BdfuTargetCallbacks *callbacks,
			  gpointer user_data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuTarget, bdfu_target_free)

/* time; all timing inside the target (flash, resets, 120 s inactivity, 10 s continuation) is
 * relative to what advance() was given. Monotonic microseconds. */
void
bdfu_target_advance(BdfuTarget *target, guint64 now_us);
/* the next time the target has something to do, G_MAXUINT64 if idle */
guint64
bdfu_target_next_event_us(BdfuTarget *target);

BdfuTargetMode
bdfu_target_get_mode(BdfuTarget *target);
/* 0, or 1 when the unbonded bootloader advertises at address+1 */
guint
bdfu_target_get_address_increment(BdfuTarget *target);
/* the advertised name: app name, "DfuTarg" or the name set through buttonless; NULL while
 * RESETTING or SILENT (not advertising) */
const gchar *
bdfu_target_get_adv_name(BdfuTarget *target);
/* what the last reset decided and why ("application 0x26000 valid, vector table sane") */
const gchar *
bdfu_target_get_boot_reason(BdfuTarget *target);
/* the installed application version, bank 0 validity, for tests */
guint32
bdfu_target_get_app_version(BdfuTarget *target);
gboolean
bdfu_target_get_app_valid(BdfuTarget *target);
guint16
bdfu_target_get_sd_fwid(BdfuTarget *target);
gboolean
bdfu_target_is_bonded(BdfuTarget *target);

/* link events from the host side */
/* FALSE when not connectable now (RESETTING, SILENT, already connected, or a bonded
 * bootloader and the central not bonded); the ATT MTU starts at 23 and every CCCD off */
gboolean
bdfu_target_connect(BdfuTarget *target);
void
bdfu_target_disconnect(BdfuTarget *target);
gboolean
bdfu_target_is_connected(BdfuTarget *target);
/* the central of this link is bonded with the device (default: TRUE when config.bonded);
 * the bonded buttonless service answers NOT_BONDED otherwise */
void
bdfu_target_set_peer_bonded(BdfuTarget *target, gboolean bonded);
/* ATT MTU exchange: the ATT MTU in effect after the target answered `requested` (§9.3) */
guint16
bdfu_target_exchange_mtu(BdfuTarget *target, guint16 requested);

/* bootloader GATT: returns an ATT status (0 = accepted, 0xFD = CCCD not enabled, 0x01 = no
 * link or not in DFU mode, 0x0D = length 0 or over 23). SDK 15+ do not check request
 * lengths: a short write reads the stale bytes of the previous request. */
void
bdfu_target_set_cp_notify(BdfuTarget *target, gboolean enabled);
guint8
bdfu_target_write_cp(BdfuTarget *target, const guint8 *buf, gsize len);
/* a Packet write arriving at the target; FALSE when it was silently dropped (no receive
 * buffer, flash queue full, length not a multiple of 4 for data) or cannot be written (no
 * link, not in DFU mode, longer than MTU-3). Writes the request handler refuses (beyond the
 * object, no init) return TRUE: only a PRN tells. */
gboolean
bdfu_target_write_packet(BdfuTarget *target, const guint8 *buf, gsize len);

/* application GATT: the buttonless characteristic; ATT status as for write_cp() (0xFD when
 * indications are off) */
void
bdfu_target_set_buttonless_indicate(BdfuTarget *target, gboolean enabled);
guint8
bdfu_target_write_buttonless(BdfuTarget *target, const guint8 *buf, gsize len);
/* the host's ATT confirmation of the last indication */
void
bdfu_target_confirm_indication(BdfuTarget *target);

/* counters for tests: Packet writes silently dropped (any of the reasons above), bytes of
 * firmware written to flash so far */
guint
bdfu_target_get_dropped_packets(BdfuTarget *target);
guint64
bdfu_target_get_flash_bytes_written(BdfuTarget *target);

G_END_DECLS
