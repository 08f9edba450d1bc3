/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A fake bluetoothd 5.66 for tests: owns org.bluez on a private bus and serves the devices of
 * a GKeyFile, each backed by the nRF5 target model (core/bdfu-target.h) on real time. The
 * behaviour it copies is documented in shared/docs/BLUEZ.md; section numbers below refer to
 * it. */

#include <gio/gio.h>
#include <stdio.h>

#include "core/bdfu-target.h"

G_BEGIN_DECLS

#define MOCK_BUS_NAME "org.bluez"
#define MOCK_ADAPTER_PATH "/org/bluez/hci0"
#define MOCK_IFACE_ADAPTER "org.bluez.Adapter1"
#define MOCK_IFACE_DEVICE "org.bluez.Device1"
#define MOCK_IFACE_SERVICE "org.bluez.GattService1"
#define MOCK_IFACE_CHAR "org.bluez.GattCharacteristic1"
#define MOCK_IFACE_AGENT_MANAGER "org.bluez.AgentManager1"

#define MOCK_UUID_DFU_SERVICE "0000fe59-0000-1000-8000-00805f9b34fb"
#define MOCK_UUID_CP "8ec90001-f315-4f60-9fb8-838830daea50"
#define MOCK_UUID_PACKET "8ec90002-f315-4f60-9fb8-838830daea50"
#define MOCK_UUID_BUTTONLESS "8ec90003-f315-4f60-9fb8-838830daea50"
#define MOCK_UUID_BUTTONLESS_BONDED "8ec90004-f315-4f60-9fb8-838830daea50"
#define MOCK_UUID_DIS "0000180a-0000-1000-8000-00805f9b34fb"
#define MOCK_UUID_FW_REVISION "00002a26-0000-1000-8000-00805f9b34fb"

typedef struct _Mock Mock;
typedef struct _MockObject MockObject;
typedef struct _MockPhys MockPhys;
typedef struct _MockDevice MockDevice;
typedef struct _MockChar MockChar;

typedef void (*MockMethodFunc)(MockObject *obj,
			       const gchar *iface,
			       const gchar *method,
			       GVariant *params,
			       GDBusMethodInvocation *invocation,
			       gpointer user_data);
typedef gboolean (*MockSetFunc)(MockObject *obj,
				const gchar *iface,
				const gchar *name,
				GVariant *value,
				GError **error,
				gpointer user_data);

/* ---- mock-objects.c: exported objects, ObjectManager, PropertiesChanged, the call log ---- */

MockObject *
mock_object_new(Mock *mock, const gchar *path);
void
mock_object_add_iface(MockObject *obj,
		      const gchar *iface,
		      MockMethodFunc method,
		      MockSetFunc set,
		      gpointer user_data);
/* register on the bus and emit InterfacesAdded (unless the bus is down) */
void
mock_object_export(MockObject *obj);
/* InterfacesRemoved (when `signal`), unregister, free */
void
mock_object_destroy(MockObject *obj, gboolean signal);
const gchar *
mock_object_get_path(MockObject *obj);
/* set a property; emits PropertiesChanged when the value changed, or always with `force`
 * (GattCharacteristic1.Value: BlueZ emits every notification, §3.5). Takes a floating ref. */
void
mock_object_set(MockObject *obj,
		const gchar *iface,
		const gchar *name,
		GVariant *value,
		gboolean force);
/* drop a property: PropertiesChanged with it in `invalidated` (RSSI, MTU) */
void
mock_object_unset(MockObject *obj, const gchar *iface, const gchar *name);
GVariant *
mock_object_get(MockObject *obj, const gchar *iface, const gchar *name);
gboolean
mock_object_get_bool(MockObject *obj, const gchar *iface, const gchar *name);

/* registration of "/" (ObjectManager) and the UnknownObject filter on a fresh connection */
void
mock_objects_attach(Mock *mock);
/* forget all registrations without signals (bluetoothd died) */
void
mock_objects_detach(Mock *mock);

void
mock_log(Mock *mock, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
/* reply with a D-Bus error and log it */
void
mock_return_error(Mock *mock,
		  GDBusMethodInvocation *invocation,
		  const gchar *name,
		  const gchar *message);

GDBusNodeInfo *
mock_introspection_new(void);

/* ---- mock-adapter.c: Adapter1, AgentManager1, discovery and advertising ---- */

void
mock_adapter_export(Mock *mock);
/* a client left the bus: drop its discovery session, filter, agent and notify sessions */
void
mock_adapter_client_vanished(Mock *mock, const gchar *sender);
gboolean
mock_adapter_is_discovering(Mock *mock);

/* ---- mock-device.c: Device1 objects, connections, the target's events ---- */

MockDevice *
mock_device_lookup(Mock *mock, const gchar *address);
MockDevice *
mock_device_lookup_path(Mock *mock, const gchar *path);
/* an advertisement of `phys` at `address` was received while discovering */
void
mock_device_advert(Mock *mock, MockPhys *phys, const gchar *address, gboolean filtered);
/* RemoveDevice: disconnect first, then the object and its GATT tree go */
void
mock_device_remove(MockDevice *dev, GDBusMethodInvocation *invocation);
/* the current advertising address of a physical device, or NULL when silent/connected */
gchar *
mock_phys_adv_address(MockPhys *phys);
gboolean
mock_phys_discoverable(MockPhys *phys);
const gchar *
mock_phys_adv_name(MockPhys *phys);
const gchar *const *
mock_phys_adv_uuids(MockPhys *phys);
/* run the target model up to now, deliver its events, rearm the timer */
void
mock_phys_run(MockPhys *phys);
/* count Packet bytes delivered for the byte-triggered faults */
void
mock_phys_packet_bytes(MockPhys *phys, gsize len);
void
mock_device_free(MockDevice *dev);
/* an object as BlueZ creates it for an address (temporary until connected); not exported */
MockDevice *
mock_device_new(Mock *mock, MockPhys *phys, const gchar *address, gboolean temporary);
/* create the target model and start its clock */
void
mock_phys_start(MockPhys *phys);

/* ---- mock-gatt.c: GATT services and characteristics of one connection's layout ---- */

typedef enum {
	MOCK_GATT_NONE,
	MOCK_GATT_APP, /* DIS + 0xFE59 with the buttonless characteristic */
	MOCK_GATT_DFU, /* 0xFE59 with Packet + Control Point */
} MockGattKind;

void
mock_gatt_export(MockDevice *dev, MockGattKind kind);
void
mock_gatt_unexport(MockDevice *dev, gboolean signal);
/* link state changes seen by the characteristics (MTU property, fds, notify sessions) */
void
mock_gatt_link_up(MockDevice *dev);
void
mock_gatt_link_down(MockDevice *dev);
/* BlueZ re-enables the notify sessions of the last connection (§3.5) */
void
mock_gatt_rearm_notify(MockDevice *dev);
/* the target sent a CP notification / buttonless indication */
void
mock_gatt_deliver_value(MockDevice *dev, const gchar *uuid, const guint8 *buf, gsize len);
/* drop what waits for the radio (link loss) */
void
mock_gatt_tx_clear(MockDevice *dev);
void
mock_gatt_client_vanished(MockDevice *dev, const gchar *sender);

/* ---- shared state ---- */

struct _MockPhys {
	Mock *mock;
	gchar *group;
	gchar *address; /* the application's address, upper case */
	gchar *app_name;
	gchar **app_adv_uuids; /* 128-bit, lower case */
	BdfuTargetConfig config;
	BdfuTarget *target;
	gint64 t0_us;
	guint timer_id;
	GQueue events;	      /* target callbacks, delivered in order by mock_phys_run */
	guint hold;	      /* events wait while a Write Request's reply is pending */
	gboolean in_target;   /* inside a target call: no re-entry */
	MockDevice *link;     /* the device object holding the link */
	gboolean host_bonded; /* BlueZ holds a bond with the device */
	gint rssi;
	gchar *fw_revision; /* NULL: "app v<version>" as the simulated backend says */
	guint64 packet_bytes;
	/* BlueZ traps to reproduce (BLUEZ.md §2, §3, §8) */
	guint connect_abort;		/* Failed: le-connection-abort-by-local, N times */
	guint connect_in_progress;	/* Failed: Operation already in progress, N attempts */
	guint resolve_delay_ms;		/* Connect reply → ServicesResolved */
	gboolean notify_before_reply;	/* CP notification before the WriteValue reply */
	gboolean stale_gatt;		/* the old tree stays resolved after a mode change */
	guint stale_gatt_ms;		/* ... until Service Changed replaces it */
	GArray *disconnect_at;		/* guint64 Packet byte counts that drop the link */
	GArray *restart_at;		/* guint64 Packet byte counts that restart bluetoothd */
	gboolean acquire_write_missing; /* pre-5.46 BlueZ: AcquireWrite is UnknownMethod */
	guint notify_rearm_ms;		/* re-arming notify sessions after ServicesResolved */
	guint connect_ms;
	guint connection_interval_ms; /* the radio sends queued writes once per event */
	guint packets_per_event;
	guint connect_timeout_ms;
	guint disconnect_ms;
};

struct _MockDevice {
	Mock *mock;
	MockPhys *phys;
	gchar *address;
	MockObject *obj;
	gboolean temporary;
	gint64 last_seen_us;
	gint16 last_rssi;
	gboolean link_up;
	gboolean resolved;
	MockGattKind gatt_kind;
	GPtrArray *gatt_objs; /* MockObject*: services then their characteristics */
	GPtrArray *chars;     /* MockChar* */
	guint16 mtu;
	GDBusMethodInvocation *pending_connect;
	GDBusMethodInvocation *pending_pair;
	guint connect_timer;
	guint connect_deadline;
	gboolean stale_attempt; /* an internal connect attempt still runs (EALREADY) */
	guint stale_timer;
	guint resolve_timer;
	guint stale_gatt_timer;
	guint down_timer;
	GPtrArray *pending_disconnects; /* invocations answered when the link is down */
	GPtrArray *pending_removes;
	GQueue txq; /* writes queued in bluetoothd for the radio */
	guint tx_timer;
};

struct _Mock {
	GMainLoop *loop;
	GKeyFile *config;
	gchar *config_path;
	gchar *log_path;
	FILE *log;
	GDBusConnection *bus;
	guint own_id;
	gboolean bus_up;
	guint filter_id;
	guint om_reg_id;
	GMutex paths_lock;
	GHashTable *paths; /* path → number of registered interfaces (read in the filter thread) */
	GHashTable *objects; /* path → MockObject*, exported */
	GDBusNodeInfo *introspection;
	MockObject *adapter;
	MockObject *agent_manager;
	gchar *adapter_address;
	gboolean powered_at_start;
	GHashTable *discovery; /* sender → filter (GVariant a{sv} or NULL) of active sessions */
	GHashTable *filters;   /* sender → preset filter */
	GHashTable *agents;    /* sender → agent path */
	GHashTable *watches;   /* sender → name watch id */
	guint adv_timer;
	guint adv_interval_ms;
	guint temporary_timeout_s;
	guint att_ms;
	guint restart_ms;
	GPtrArray *phys;    /* MockPhys* */
	GPtrArray *devices; /* MockDevice* */
	gboolean restarting;
	gboolean ready_printed;
};

/* a bluetoothd restart: drop the name and every object, come back with fresh ones */
void
mock_restart(Mock *mock);
/* track a client's unique name so its sessions die with it */
void
mock_watch_client(Mock *mock, const gchar *sender);

G_END_DECLS
