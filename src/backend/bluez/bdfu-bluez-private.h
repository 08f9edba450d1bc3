/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "backend/bluez/bdfu-bluez-backend.h"

G_BEGIN_DECLS

#define BDFU_BLUEZ_SERVICE "org.bluez"
#define BDFU_BLUEZ_ADAPTER_IFACE "org.bluez.Adapter1"
#define BDFU_BLUEZ_DEVICE_IFACE "org.bluez.Device1"
#define BDFU_BLUEZ_SERVICE_IFACE "org.bluez.GattService1"
#define BDFU_BLUEZ_CHAR_IFACE "org.bluez.GattCharacteristic1"
#define BDFU_BLUEZ_AGENT_MANAGER_IFACE "org.bluez.AgentManager1"

#define BDFU_UUID_DFU_SERVICE "0000fe59-0000-1000-8000-00805f9b34fb"
#define BDFU_UUID_DFU_CONTROL "8ec90001-f315-4f60-9fb8-838830daea50"
#define BDFU_UUID_DFU_PACKET "8ec90002-f315-4f60-9fb8-838830daea50"
#define BDFU_UUID_BUTTONLESS "8ec90003-f315-4f60-9fb8-838830daea50"
#define BDFU_UUID_BUTTONLESS_BONDED "8ec90004-f315-4f60-9fb8-838830daea50"
#define BDFU_UUID_LEGACY_SERVICE "00001530-1212-efde-1523-785feabcd123"
#define BDFU_UUID_FW_REVISION "00002a26-0000-1000-8000-00805f9b34fb"

/* timeouts from BLUEZ.md §2.3 */
#define BDFU_BLUEZ_CONNECT_CALL_MS 35000
#define BDFU_BLUEZ_RESOLVE_MS 30000
#define BDFU_BLUEZ_REQUEST_MS 35000
#define BDFU_BLUEZ_SHORT_CALL_MS 10000
#define BDFU_BLUEZ_PAIR_MS 60000
#define BDFU_BLUEZ_RESTART_WAIT_MS 10000

/* bdfu-bluez-backend.c: shared state of one backend */
void
bdfu_bluez_backend_ensure_async(BdfuBluezBackend *self,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data);
gboolean
bdfu_bluez_backend_ensure_finish(BdfuBluezBackend *self, GAsyncResult *res, GError **error);
GDBusConnection *
bdfu_bluez_backend_get_bus(BdfuBluezBackend *self);
/* runs func(task) from an idle in the task's own context: a cancellable's handler may run in
 * any thread or inside g_cancellable_cancel(), so it defers its work there */
guint
bdfu_bluez_task_idle_add(GTask *task, GSourceFunc func);
GDBusObjectManager *
bdfu_bluez_backend_get_manager(BdfuBluezBackend *self);
const gchar *
bdfu_bluez_backend_get_adapter_path(BdfuBluezBackend *self);
const gchar *
bdfu_bluez_backend_get_adapter_name(BdfuBluezBackend *self);
/* the device object of that address under the chosen adapter, or NULL */
GDBusObject *
bdfu_bluez_backend_find_device(BdfuBluezBackend *self, const gchar *address);
/* a dfu-only scan matched this address: the next connect expects the bootloader */
void
bdfu_bluez_backend_set_expect_dfu(BdfuBluezBackend *self, const gchar *address, gboolean expect);
gboolean
bdfu_bluez_backend_get_expect_dfu(BdfuBluezBackend *self, const gchar *address);
/* BlueZ keeps one discovery session per client: scans of one backend share it. ref returns
 * TRUE when another scan already discovers; unref TRUE when the caller must stop it */
gboolean
bdfu_bluez_backend_discovery_ref(BdfuBluezBackend *self);
gboolean
bdfu_bluez_backend_discovery_unref(BdfuBluezBackend *self);
gboolean
bdfu_bluez_backend_is_discovering(BdfuBluezBackend *self);
/* the device reset since its GATT tree was cached (a mode change): the tree may lie */
void
bdfu_bluez_backend_set_gatt_stale(BdfuBluezBackend *self, const gchar *address, gboolean stale);
gboolean
bdfu_bluez_backend_get_gatt_stale(BdfuBluezBackend *self, const gchar *address);
/* bdfu-bluez-agent.c: a NoInputNoOutput Agent1 on the private bus, for bonding */
typedef struct _BdfuBluezAgent BdfuBluezAgent;
BdfuBluezAgent *
bdfu_bluez_agent_new(GDBusConnection *bus, GError **error);
/* accept Just-Works requests for this device only */
void
bdfu_bluez_agent_set_device(BdfuBluezAgent *self, const gchar *device_path);
void
bdfu_bluez_agent_register_async(BdfuBluezAgent *self,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data);
gboolean
bdfu_bluez_agent_register_finish(BdfuBluezAgent *self, GAsyncResult *res, GError **error);
void
bdfu_bluez_agent_free(BdfuBluezAgent *self);
BdfuBluezAgent *
bdfu_bluez_backend_get_agent(BdfuBluezBackend *self, GError **error);

/* bdfu-bluez-device.c: reading the object tree */
GVariant *
bdfu_bluez_object_get_property(GDBusObject *object, const gchar *iface, const gchar *name);
gboolean
bdfu_bluez_object_get_boolean(GDBusObject *object, const gchar *iface, const gchar *name);
gchar *
bdfu_bluez_object_get_string(GDBusObject *object, const gchar *iface, const gchar *name);
gboolean
bdfu_bluez_object_has_uuid(GDBusObject *device, const gchar *uuid);
gboolean
bdfu_bluez_device_is_bonded(GDBusObject *device);
/* the characteristic with this UUID under the device, preferring one inside the 0xFE59
 * service with the required flags; NULL when absent */
gchar *
bdfu_bluez_device_find_characteristic(GDBusObjectManager *manager,
				      const gchar *device_path,
				      const gchar *uuid,
				      const gchar *const *required_flags);
/* what the device is: from its GATT objects, from what it advertises, or both */
typedef enum {
	BDFU_BLUEZ_MODE_GATT,	    /* connected and resolved: the tree is the truth */
	BDFU_BLUEZ_MODE_GATT_FIRST, /* the cached tree if any, else the advertisement */
	BDFU_BLUEZ_MODE_ADVERT,	    /* the cached tree predates a reset: ignore it */
} BdfuBluezModeSource;
BdfuDeviceMode
bdfu_bluez_device_get_mode(GDBusObjectManager *manager,
			   GDBusObject *device,
			   BdfuBluezModeSource source);
BdfuDeviceInfo *
bdfu_bluez_device_get_info(GDBusObjectManager *manager,
			   GDBusObject *device,
			   const gchar *adapter,
			   gboolean trust_gatt);
/* the address or name part of the filter */
gboolean
bdfu_bluez_device_is_wanted(const BdfuDeviceInfo *info, const BdfuScanFilter *filter);
/* ... and its mode part */
gboolean
bdfu_bluez_device_matches(const BdfuDeviceInfo *info, const BdfuScanFilter *filter);

/* bdfu-bluez-error.c: D-Bus errors to BDFU_ERROR */
GError *
bdfu_bluez_error_convert(const GError *error, const gchar *what, const gchar *adapter);
/* the D-Bus error name with its message, for the retry logic */
gboolean
bdfu_bluez_error_is(const GError *error, const gchar *name, const gchar *message);

/* bdfu-bluez-discovery.c */
void
bdfu_bluez_discovery_scan_async(BdfuBluezBackend *self,
				const BdfuScanFilter *filter,
				guint timeout_ms,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data);
GPtrArray *
bdfu_bluez_discovery_scan_finish(BdfuBluezBackend *self, GAsyncResult *res, GError **error);

/* bdfu-bluez-connection.c: a live connection, services resolved */
#define BDFU_TYPE_BLUEZ_CONNECTION (bdfu_bluez_connection_get_type())
G_DECLARE_FINAL_TYPE(BdfuBluezConnection,
		     bdfu_bluez_connection,
		     BDFU,
		     BLUEZ_CONNECTION,
		     BdfuConnection)
BdfuBluezConnection *
bdfu_bluez_connection_new(BdfuBluezBackend *backend,
			  const gchar *device_path,
			  const gchar *address);
/* the DFU mode the resolved GATT tree shows now */
BdfuDeviceMode
bdfu_bluez_connection_resolve(BdfuBluezConnection *self);

/* bdfu-bluez-connect.c: Device1.Connect with retries, up to ServicesResolved */
void
bdfu_bluez_connection_connect_async(BdfuBluezBackend *backend,
				    const gchar *address,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data);
BdfuConnection *
bdfu_bluez_connection_connect_finish(GAsyncResult *res, GError **error);

/* bdfu-bluez-packet.c: the Packet characteristic's write-without-response path */
typedef struct _BdfuBluezPacket BdfuBluezPacket;
typedef void (*BdfuBluezPacketFunc)(gpointer user_data);
/* try AcquireWrite, fall back to WriteValue(type=command) */
void
bdfu_bluez_packet_open_async(GDBusConnection *bus,
			     const gchar *char_path,
			     BdfuBluezPacketFunc writable,
			     BdfuBluezPacketFunc hangup,
			     gpointer user_data,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer callback_data);
BdfuBluezPacket *
bdfu_bluez_packet_open_finish(GAsyncResult *res, GError **error);
/* ATT MTU from AcquireWrite, 0 on the WriteValue path */
guint16
bdfu_bluez_packet_get_mtu(BdfuBluezPacket *self);
void
bdfu_bluez_packet_set_max_payload(BdfuBluezPacket *self, gsize max_payload);
gboolean
bdfu_bluez_packet_write(BdfuBluezPacket *self, const guint8 *buf, gsize len, GError **error);
void
bdfu_bluez_packet_free(BdfuBluezPacket *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuBluezPacket, bdfu_bluez_packet_free)

G_END_DECLS
