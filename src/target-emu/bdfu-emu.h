/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* bluedfu-target: a Linux adapter posing as an nRF5 device (the BdfuTarget model) through
 * BlueZ's GattManager1 and LEAdvertisingManager1. */

#include <gio/gio.h>

#include "backend/sim/bdfu-sim-private.h"
#include "core/bdfu-target.h"

G_BEGIN_DECLS

typedef enum {
	BDFU_EMU_ROLE_DIS,	  /* Device Information service */
	BDFU_EMU_ROLE_FW_REV,	  /* 0x2A26 */
	BDFU_EMU_ROLE_DFU,	  /* 0xFE59 service */
	BDFU_EMU_ROLE_BUTTONLESS, /* 8EC90003 / 8EC90004 */
	BDFU_EMU_ROLE_CP,	  /* 8EC90001 */
	BDFU_EMU_ROLE_PACKET,	  /* 8EC90002 */
	BDFU_EMU_ROLE_ADV,	  /* the LEAdvertisement1 */
} BdfuEmuRole;

typedef struct _BdfuEmu BdfuEmu;

/* bdfu-emu-gatt.c: the exported objects of one mode. `gen` makes the paths unique per
 * registration, so that nothing left over in bluetoothd refers to a new object. */
typedef struct _BdfuEmuApp BdfuEmuApp;

BdfuEmuApp *
bdfu_emu_app_export(BdfuEmu *emu, BdfuTargetMode mode, guint gen, GError **error);
void
bdfu_emu_app_free(BdfuEmuApp *app);
const gchar *
bdfu_emu_app_get_root(BdfuEmuApp *app);
const gchar *
bdfu_emu_app_get_adv_path(BdfuEmuApp *app);
/* PropertiesChanged(Value) on the characteristic of `role`: a notification or indication */
void
bdfu_emu_app_emit_value(BdfuEmuApp *app, BdfuEmuRole role, const guint8 *buf, gsize len);

/* bluedfu-target.c: what the exported objects call */
const gchar *
bdfu_emu_adv_name(BdfuEmu *emu);
gboolean
bdfu_emu_is_bonded(BdfuEmu *emu);
GDBusConnection *
bdfu_emu_bus(BdfuEmu *emu);
gchar *
bdfu_emu_fw_revision(BdfuEmu *emu);
/* offer AcquireWrite on the Packet characteristic (--acquire-write) */
gboolean
bdfu_emu_server_acquire_write(BdfuEmu *emu);
/* a GATT operation from `device` (object path of the central, may be NULL) with the link's
 * ATT MTU (0 = unknown); returns an ATT status, 0 = done */
guint8
bdfu_emu_gatt_write(BdfuEmu *emu,
		    BdfuEmuRole role,
		    const gchar *device,
		    guint16 mtu,
		    const guint8 *buf,
		    gsize len);
void
bdfu_emu_gatt_subscribe(BdfuEmu *emu, BdfuEmuRole role, const gchar *device, gboolean on);
void
bdfu_emu_gatt_confirm(BdfuEmu *emu, BdfuEmuRole role);
/* run what the model queued (notifications, link drops) once a D-Bus reply went out */
void
bdfu_emu_flush_soon(BdfuEmu *emu);

/* bdfu-emu-mgmt.c: the kernel's management socket */
/* powers the controller off, sets its static random address (48 bits, top bits 11) and
 * powers it on again */
gboolean
bdfu_emu_mgmt_set_static_address(guint16 index, guint64 address, GError **error);

G_END_DECLS
