/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "backend/bdfu-connection.h"

G_BEGIN_DECLS

/* Where devices come from: BlueZ, or the simulated world. The update job only talks to this
 * interface. A backend also owns the clock: the simulated backend runs on virtual time, so the
 * job arms every timer through bdfu_backend_timeout_add(). */

typedef enum {
	BDFU_DEVICE_MODE_UNKNOWN,
	BDFU_DEVICE_MODE_APP,		     /* application without a DFU service we know */
	BDFU_DEVICE_MODE_APP_BUTTONLESS,     /* 0xFE59 with 8EC90003 */
	BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED, /* 0xFE59 with 8EC90004 */
	BDFU_DEVICE_MODE_DFU,		     /* Secure DFU bootloader: 8EC90001 + 8EC90002 */
	BDFU_DEVICE_MODE_LEGACY_DFU,	     /* SDK <= 11 bootloader (0x1530) */
} BdfuDeviceMode;

/* "app", "app-buttonless", "app-buttonless-bonded", "dfu", "legacy-dfu", "unknown" */
const gchar *
bdfu_device_mode_to_string(BdfuDeviceMode mode);
gboolean
bdfu_device_mode_is_app(BdfuDeviceMode mode);

/* one advertising device as seen by a scan */
typedef struct {
	gchar *address; /* "AA:BB:CC:DD:EE:FF" upper case */
	gchar *name;	/* may be NULL */
	gint16 rssi;	/* dBm, 0 if unknown */
	BdfuDeviceMode mode; /* from advertised UUIDs, or from the GATT cache when known */
	gboolean bonded;
	gchar *adapter; /* "hci0", "sim0" */
} BdfuDeviceInfo;

BdfuDeviceInfo *
bdfu_device_info_new(void);
BdfuDeviceInfo *
bdfu_device_info_copy(const BdfuDeviceInfo *info);
void
bdfu_device_info_free(BdfuDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuDeviceInfo, bdfu_device_info_free)

/* What a scan is looking for. A device matches when its address is in `addresses` OR its name
 * matches `name_glob`; with neither set every device matches. Then the mode filters apply:
 * without `all` only devices offering DFU (buttonless or DFU mode) are reported. */
typedef struct {
	gchar **addresses; /* match any of these (upper case) */
	gchar *name_glob;  /* fnmatch-style glob or exact name */
	gboolean all;	   /* also devices without any DFU service */
	gboolean stop_at_first; /* return as soon as one matches */
	gboolean dfu_only;      /* only devices in DFU mode */
	gboolean app_only;      /* only devices in application mode */
} BdfuScanFilter;

#define BDFU_TYPE_BACKEND (bdfu_backend_get_type())
G_DECLARE_DERIVABLE_TYPE(BdfuBackend, bdfu_backend, BDFU, BACKEND, GObject)

struct _BdfuBackendClass {
	GObjectClass parent_class;

	/* only advertisements seen after the call count (no stale cache entries) */
	void (*scan_async)(BdfuBackend *self,
			   const BdfuScanFilter *filter,
			   guint timeout_ms,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
	GPtrArray *(*scan_finish)(BdfuBackend *self, GAsyncResult *res, GError **error);

	void (*connect_async)(BdfuBackend *self,
			      const gchar *address,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data);
	BdfuConnection *(*connect_finish)(BdfuBackend *self, GAsyncResult *res, GError **error);

	/* drop cached knowledge of an unbonded device (BlueZ: RemoveDevice); never for bonded */
	void (*forget_device)(BdfuBackend *self, const gchar *address);

	/* the clock: real for BlueZ, virtual for the simulation */
	guint (*timeout_add)(BdfuBackend *self, guint ms, GSourceFunc func, gpointer user_data);
	void (*timeout_remove)(BdfuBackend *self, guint id);
	gint64 (*get_time_us)(BdfuBackend *self);

	const gchar *(*get_name)(BdfuBackend *self); /* "bluez", "sim" */

	/* optional: hand every queued request (Disconnect, StopDiscovery) to the other side;
	 * a process calls it before it exits */
	void (*flush)(BdfuBackend *self);
};

void
bdfu_backend_scan_async(BdfuBackend *self,
			const BdfuScanFilter *filter,
			guint timeout_ms,
			GCancellable *cancellable,
			GAsyncReadyCallback callback,
			gpointer user_data);
/* BdfuDeviceInfo*, strongest signal first; empty array (not an error) when nothing matched */
GPtrArray *
bdfu_backend_scan_finish(BdfuBackend *self, GAsyncResult *res, GError **error);
void
bdfu_backend_connect_async(BdfuBackend *self,
			   const gchar *address,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
/* errors: BDFU_ERROR_NOT_FOUND, BDFU_ERROR_CONNECTION_FAILED, BDFU_ERROR_CANCELLED */
BdfuConnection *
bdfu_backend_connect_finish(BdfuBackend *self, GAsyncResult *res, GError **error);
void
bdfu_backend_forget_device(BdfuBackend *self, const gchar *address);
guint
bdfu_backend_timeout_add(BdfuBackend *self, guint ms, GSourceFunc func, gpointer user_data);
void
bdfu_backend_timeout_remove(BdfuBackend *self, guint id);
gint64
bdfu_backend_get_time_us(BdfuBackend *self);
const gchar *
bdfu_backend_get_name(BdfuBackend *self);
void
bdfu_backend_flush(BdfuBackend *self);

/* "AA:BB:CC:DD:EE:FF" → the same with the last octet +1 (wrapping 0xFF → 0x00, no carry), as
 * the unbonded bootloader does (PROTOCOL.md §1.2) */
gchar *
bdfu_address_increment(const gchar *address);
/* TRUE for a well-formed address; writes the normalised upper-case form */
gboolean
bdfu_address_normalize(const gchar *text, gchar out[18]);

G_END_DECLS
