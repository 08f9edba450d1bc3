/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GATT application and the advertisement of one mode, as D-Bus objects for bluetoothd:
 * an ObjectManager at the root, GattService1/GattCharacteristic1 below it, LEAdvertisement1
 * beside them. bluetoothd makes the CCCDs itself. */
#include "target-emu/bdfu-emu.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bluedfu/bdfu-error.h"

/* bluetoothd's read buffer for an acquired write is 512 bytes */
#define BDFU_EMU_DATAGRAM_MAX 512

#define BDFU_EMU_PATH "/io/github/bluedfu/target"
#define BDFU_EMU_SVC_IFACE "org.bluez.GattService1"
#define BDFU_EMU_CHAR_IFACE "org.bluez.GattCharacteristic1"
#define BDFU_EMU_ADV_IFACE "org.bluez.LEAdvertisement1"
#define BDFU_EMU_OM_IFACE "org.freedesktop.DBus.ObjectManager"

static const gchar bdfu_emu_xml[] =
    "<node>"
    " <interface name='org.freedesktop.DBus.ObjectManager'>"
    "  <method name='GetManagedObjects'>"
    "   <arg type='a{oa{sa{sv}}}' direction='out'/>"
    "  </method>"
    " </interface>"
    " <interface name='org.bluez.GattService1'>"
    "  <property name='UUID' type='s' access='read'/>"
    "  <property name='Primary' type='b' access='read'/>"
    " </interface>"
    " <interface name='org.bluez.GattCharacteristic1'>"
    "  <method name='ReadValue'>"
    "   <arg type='a{sv}' direction='in'/><arg type='ay' direction='out'/>"
    "  </method>"
    "  <method name='WriteValue'>"
    "   <arg type='ay' direction='in'/><arg type='a{sv}' direction='in'/>"
    "  </method>"
    "  <method name='AcquireWrite'>"
    "   <arg type='a{sv}' direction='in'/>"
    "   <arg type='h' direction='out'/><arg type='q' direction='out'/>"
    "  </method>"
    "  <method name='StartNotify'/>"
    "  <method name='StopNotify'/>"
    "  <method name='Confirm'/>"
    "  <property name='UUID' type='s' access='read'/>"
    "  <property name='Service' type='o' access='read'/>"
    "  <property name='Flags' type='as' access='read'/>"
    "  <property name='WriteAcquired' type='b' access='read'/>"
    " </interface>"
    " <interface name='org.bluez.LEAdvertisement1'>"
    "  <method name='Release'/>"
    "  <property name='Type' type='s' access='read'/>"
    "  <property name='ServiceUUIDs' type='as' access='read'/>"
    "  <property name='LocalName' type='s' access='read'/>"
    " </interface>"
    "</node>";

typedef struct {
	BdfuEmuApp *app;
	BdfuEmuRole role;
	gchar *path;
	const gchar *uuid;
	const gchar *const *flags; /* characteristics only */
	gchar *service;		   /* the characteristic's service path */
	guint reg_id;
	/* server-side AcquireWrite (Packet only): our end of the socket bluetoothd writes to */
	gint acquired_fd;
	guint acquired_watch;
	gchar *acquired_device;
	guint16 acquired_mtu;
} BdfuEmuObject;

struct _BdfuEmuApp {
	BdfuEmu *emu;
	BdfuTargetMode mode;
	gchar *root;
	gchar *adv_path;
	guint root_id;
	GPtrArray *objects; /* BdfuEmuObject */
};

static GDBusNodeInfo *bdfu_emu_node;

static const gchar *const bdfu_emu_flags_read[] = {"read", NULL};
static const gchar *const bdfu_emu_flags_buttonless[] = {"write", "indicate", NULL};
static const gchar *const bdfu_emu_flags_cp[] = {"write", "notify", NULL};
static const gchar *const bdfu_emu_flags_packet[] = {"write-without-response", NULL};

static void
bdfu_emu_object_release(BdfuEmuObject *obj)
{
	g_clear_handle_id(&obj->acquired_watch, g_source_remove);
	if (obj->acquired_fd >= 0)
		close(obj->acquired_fd);
	obj->acquired_fd = -1;
	g_clear_pointer(&obj->acquired_device, g_free);
}

static void
bdfu_emu_object_free(BdfuEmuObject *obj)
{
	bdfu_emu_object_release(obj);
	if (obj->reg_id != 0)
		g_dbus_connection_unregister_object(bdfu_emu_bus(obj->app->emu), obj->reg_id);
	g_free(obj->path);
	g_free(obj->service);
	g_free(obj);
}

static GVariant *
bdfu_emu_object_property(BdfuEmuObject *obj, const gchar *iface, const gchar *name)
{
	if (obj->role == BDFU_EMU_ROLE_ADV) {
		if (g_strcmp0(name, "Type") == 0)
			return g_variant_new_string("peripheral");
		if (g_strcmp0(name, "ServiceUUIDs") == 0) {
			const gchar *uuids[] = {"fe59", NULL};
			return g_variant_new_strv(uuids, -1);
		}
		if (g_strcmp0(name, "LocalName") == 0)
			return g_variant_new_string(bdfu_emu_adv_name(obj->app->emu));
		return NULL;
	}
	if (g_strcmp0(name, "UUID") == 0)
		return g_variant_new_string(obj->uuid);
	if (g_strcmp0(iface, BDFU_EMU_SVC_IFACE) == 0)
		return g_strcmp0(name, "Primary") == 0 ? g_variant_new_boolean(TRUE) : NULL;
	if (g_strcmp0(name, "Service") == 0)
		return g_variant_new_object_path(obj->service);
	if (g_strcmp0(name, "Flags") == 0)
		return g_variant_new_strv(obj->flags, -1);
	/* offered only when asked for: it tells bluetoothd to call AcquireWrite */
	if (g_strcmp0(name, "WriteAcquired") == 0 && obj->role == BDFU_EMU_ROLE_PACKET &&
	    bdfu_emu_server_acquire_write(obj->app->emu))
		return g_variant_new_boolean(obj->acquired_fd >= 0);
	return NULL;
}

static const gchar *
bdfu_emu_object_iface(BdfuEmuObject *obj)
{
	switch (obj->role) {
	case BDFU_EMU_ROLE_DIS:
	case BDFU_EMU_ROLE_DFU:
		return BDFU_EMU_SVC_IFACE;
	case BDFU_EMU_ROLE_ADV:
		return BDFU_EMU_ADV_IFACE;
	default:
		return BDFU_EMU_CHAR_IFACE;
	}
}

static GVariant *
bdfu_emu_get_property(GDBusConnection *bus,
		      const gchar *sender,
		      const gchar *path,
		      const gchar *iface,
		      const gchar *name,
		      GError **error,
		      gpointer user_data)
{
	GVariant *value = bdfu_emu_object_property(user_data, iface, name);
	if (value == NULL)
		g_set_error(
		    error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", name);
	return value;
}

/* an ATT status from the model → the error name bluetoothd turns back into it */
static void
bdfu_emu_return_status(GDBusMethodInvocation *inv, guint8 status)
{
	switch (status) {
	case 0:
		g_dbus_method_invocation_return_value(inv, NULL);
		break;
	case 0x0D:
		g_dbus_method_invocation_return_dbus_error(
		    inv, "org.bluez.Error.InvalidValueLength", "Invalid Length");
		break;
	case 0x03:
		g_dbus_method_invocation_return_dbus_error(
		    inv, "org.bluez.Error.NotPermitted", "Write Not Permitted");
		break;
	default:
		g_dbus_method_invocation_return_dbus_error(
		    inv, "org.bluez.Error.Failed", "the device refused the write");
		break;
	}
}

/* each datagram bluetoothd sends is one Write Command from the central */
static gboolean
bdfu_emu_acquired_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	BdfuEmuObject *obj = user_data;
	guint8 buf[BDFU_EMU_DATAGRAM_MAX];
	gssize n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n > 0) {
		bdfu_emu_gatt_write(obj->app->emu,
				    obj->role,
				    obj->acquired_device,
				    obj->acquired_mtu,
				    buf,
				    (gsize)n);
		bdfu_emu_flush_soon(obj->app->emu);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	/* bluetoothd closed its end: the link is gone or it released the write */
	obj->acquired_watch = 0;
	bdfu_emu_object_release(obj);
	return G_SOURCE_REMOVE;
}

static void
bdfu_emu_acquire_write(BdfuEmuObject *obj, GVariant *params, GDBusMethodInvocation *inv)
{
	g_autoptr(GVariant) options = g_variant_get_child_value(params, 0);
	g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
	g_autoptr(GError) error = NULL;
	const gchar *device = NULL;
	guint16 mtu = 23;
	gint pair[2];
	gint index;

	if (obj->role != BDFU_EMU_ROLE_PACKET || !bdfu_emu_server_acquire_write(obj->app->emu)) {
		g_dbus_method_invocation_return_dbus_error(
		    inv, "org.bluez.Error.NotSupported", "Not Supported");
		return;
	}
	g_variant_lookup(options, "device", "&o", &device);
	g_variant_lookup(options, "mtu", "q", &mtu);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		g_dbus_method_invocation_return_dbus_error(
		    inv, "org.bluez.Error.Failed", g_strerror(errno));
		return;
	}
	index = g_unix_fd_list_append(fds, pair[1], &error);
	close(pair[1]);
	if (index < 0) {
		close(pair[0]);
		g_dbus_method_invocation_return_dbus_error(
		    inv, "org.bluez.Error.Failed", error->message);
		return;
	}
	bdfu_emu_object_release(obj);
	obj->acquired_fd = pair[0];
	obj->acquired_device = g_strdup(device);
	obj->acquired_mtu = mtu;
	obj->acquired_watch =
	    g_unix_fd_add(pair[0], G_IO_IN | G_IO_HUP | G_IO_ERR, bdfu_emu_acquired_cb, obj);
	g_dbus_method_invocation_return_value_with_unix_fd_list(
	    inv, g_variant_new("(hq)", index, mtu), fds);
}

static void
bdfu_emu_method_call(GDBusConnection *bus,
		     const gchar *sender,
		     const gchar *path,
		     const gchar *iface,
		     const gchar *method,
		     GVariant *params,
		     GDBusMethodInvocation *inv,
		     gpointer user_data)
{
	BdfuEmuObject *obj = user_data;
	BdfuEmu *emu = obj->app->emu;

	if (g_strcmp0(method, "ReadValue") == 0) {
		g_autofree gchar *text = NULL;
		if (obj->role != BDFU_EMU_ROLE_FW_REV) {
			g_dbus_method_invocation_return_dbus_error(
			    inv, "org.bluez.Error.NotPermitted", "Read Not Permitted");
			return;
		}
		text = bdfu_emu_fw_revision(emu);
		g_dbus_method_invocation_return_value(
		    inv,
		    g_variant_new(
			"(@ay)",
			g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, text, strlen(text), 1)));
		return;
	}
	if (g_strcmp0(method, "WriteValue") == 0) {
		g_autoptr(GVariant) value = g_variant_get_child_value(params, 0);
		g_autoptr(GVariant) options = g_variant_get_child_value(params, 1);
		const gchar *device = NULL;
		guint16 mtu = 0, offset = 0;
		gsize len = 0;
		const guint8 *buf = g_variant_get_fixed_array(value, &len, 1);

		g_variant_lookup(options, "device", "&o", &device);
		g_variant_lookup(options, "mtu", "q", &mtu);
		g_variant_lookup(options, "offset", "q", &offset);
		if (offset != 0) {
			/* the nRF5 characteristics take no long writes */
			g_dbus_method_invocation_return_dbus_error(
			    inv, "org.bluez.Error.NotSupported", "Long writes not supported");
			return;
		}
		bdfu_emu_return_status(inv,
				       bdfu_emu_gatt_write(emu, obj->role, device, mtu, buf, len));
		bdfu_emu_flush_soon(emu);
		return;
	}
	if (g_strcmp0(method, "StartNotify") == 0 || g_strcmp0(method, "StopNotify") == 0) {
		bdfu_emu_gatt_subscribe(
		    emu, obj->role, NULL, g_strcmp0(method, "StartNotify") == 0);
		g_dbus_method_invocation_return_value(inv, NULL);
		bdfu_emu_flush_soon(emu);
		return;
	}
	if (g_strcmp0(method, "AcquireWrite") == 0) {
		bdfu_emu_acquire_write(obj, params, inv);
		return;
	}
	if (g_strcmp0(method, "Confirm") == 0) {
		bdfu_emu_gatt_confirm(emu, obj->role);
		g_dbus_method_invocation_return_value(inv, NULL);
		bdfu_emu_flush_soon(emu);
		return;
	}
	if (g_strcmp0(method, "Release") == 0) {
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	}
	g_dbus_method_invocation_return_dbus_error(
	    inv, "org.freedesktop.DBus.Error.UnknownMethod", method);
}

static void
bdfu_emu_root_call(GDBusConnection *bus,
		   const gchar *sender,
		   const gchar *path,
		   const gchar *iface,
		   const gchar *method,
		   GVariant *params,
		   GDBusMethodInvocation *inv,
		   gpointer user_data)
{
	BdfuEmuApp *app = user_data;
	GVariantBuilder objects;

	g_variant_builder_init(&objects, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
	for (guint i = 0; i < app->objects->len; i++) {
		BdfuEmuObject *obj = g_ptr_array_index(app->objects, i);
		const gchar *obj_iface = bdfu_emu_object_iface(obj);
		GDBusInterfaceInfo *info =
		    g_dbus_node_info_lookup_interface(bdfu_emu_node, obj_iface);
		GVariantBuilder props;

		/* the advertisement is registered on its own, not as part of the application */
		if (obj->role == BDFU_EMU_ROLE_ADV)
			continue;
		g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
		for (guint j = 0; info->properties[j] != NULL; j++) {
			GVariant *v =
			    bdfu_emu_object_property(obj, obj_iface, info->properties[j]->name);
			if (v != NULL)
				g_variant_builder_add(&props, "{sv}", info->properties[j]->name, v);
		}
		g_variant_builder_open(&objects, G_VARIANT_TYPE("{oa{sa{sv}}}"));
		g_variant_builder_add(&objects, "o", obj->path);
		g_variant_builder_open(&objects, G_VARIANT_TYPE("a{sa{sv}}"));
		g_variant_builder_add(&objects, "{sa{sv}}", obj_iface, &props);
		g_variant_builder_close(&objects);
		g_variant_builder_close(&objects);
	}
	g_dbus_method_invocation_return_value(inv, g_variant_new("(a{oa{sa{sv}}})", &objects));
}

static const GDBusInterfaceVTable bdfu_emu_vtable = {
    .method_call = bdfu_emu_method_call,
    .get_property = bdfu_emu_get_property,
};
static const GDBusInterfaceVTable bdfu_emu_root_vtable = {.method_call = bdfu_emu_root_call};

static BdfuEmuObject *
bdfu_emu_app_add(BdfuEmuApp *app,
		 BdfuEmuRole role,
		 gchar *path,
		 const gchar *uuid,
		 const gchar *const *flags,
		 const gchar *service)
{
	BdfuEmuObject *obj = g_new0(BdfuEmuObject, 1);
	obj->acquired_fd = -1;
	obj->app = app;
	obj->role = role;
	obj->path = path;
	obj->uuid = uuid;
	obj->flags = flags;
	obj->service = g_strdup(service);
	g_ptr_array_add(app->objects, obj);
	return obj;
}

BdfuEmuApp *
bdfu_emu_app_export(BdfuEmu *emu, BdfuTargetMode mode, guint gen, GError **error)
{
	BdfuEmuApp *app = g_new0(BdfuEmuApp, 1);
	GDBusConnection *bus = bdfu_emu_bus(emu);
	BdfuEmuObject *svc;

	if (bdfu_emu_node == NULL)
		bdfu_emu_node = g_dbus_node_info_new_for_xml(bdfu_emu_xml, NULL);
	app->emu = emu;
	app->mode = mode;
	app->root = g_strdup_printf(BDFU_EMU_PATH "/g%u", gen);
	app->adv_path = g_strdup_printf("%s/advertisement", app->root);
	app->objects = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_emu_object_free);

	if (mode == BDFU_TARGET_MODE_APP) {
		svc = bdfu_emu_app_add(app,
				       BDFU_EMU_ROLE_DIS,
				       g_strdup_printf("%s/service0", app->root),
				       "0000180a-0000-1000-8000-00805f9b34fb",
				       NULL,
				       NULL);
		bdfu_emu_app_add(app,
				 BDFU_EMU_ROLE_FW_REV,
				 g_strdup_printf("%s/char0", svc->path),
				 "00002a26-0000-1000-8000-00805f9b34fb",
				 bdfu_emu_flags_read,
				 svc->path);
		svc = bdfu_emu_app_add(app,
				       BDFU_EMU_ROLE_DFU,
				       g_strdup_printf("%s/service1", app->root),
				       "0000fe59-0000-1000-8000-00805f9b34fb",
				       NULL,
				       NULL);
		bdfu_emu_app_add(app,
				 BDFU_EMU_ROLE_BUTTONLESS,
				 g_strdup_printf("%s/char0", svc->path),
				 bdfu_emu_is_bonded(emu) ? "8ec90004-f315-4f60-9fb8-838830daea50"
							 : "8ec90003-f315-4f60-9fb8-838830daea50",
				 bdfu_emu_flags_buttonless,
				 svc->path);
	} else {
		svc = bdfu_emu_app_add(app,
				       BDFU_EMU_ROLE_DFU,
				       g_strdup_printf("%s/service0", app->root),
				       "0000fe59-0000-1000-8000-00805f9b34fb",
				       NULL,
				       NULL);
		bdfu_emu_app_add(app,
				 BDFU_EMU_ROLE_CP,
				 g_strdup_printf("%s/char0", svc->path),
				 "8ec90001-f315-4f60-9fb8-838830daea50",
				 bdfu_emu_flags_cp,
				 svc->path);
		bdfu_emu_app_add(app,
				 BDFU_EMU_ROLE_PACKET,
				 g_strdup_printf("%s/char1", svc->path),
				 "8ec90002-f315-4f60-9fb8-838830daea50",
				 bdfu_emu_flags_packet,
				 svc->path);
	}
	bdfu_emu_app_add(app, BDFU_EMU_ROLE_ADV, g_strdup(app->adv_path), NULL, NULL, NULL);

	app->root_id = g_dbus_connection_register_object(
	    bus,
	    app->root,
	    g_dbus_node_info_lookup_interface(bdfu_emu_node, BDFU_EMU_OM_IFACE),
	    &bdfu_emu_root_vtable,
	    app,
	    NULL,
	    error);
	if (app->root_id == 0) {
		bdfu_emu_app_free(app);
		return NULL;
	}
	for (guint i = 0; i < app->objects->len; i++) {
		BdfuEmuObject *obj = g_ptr_array_index(app->objects, i);
		obj->reg_id = g_dbus_connection_register_object(
		    bus,
		    obj->path,
		    g_dbus_node_info_lookup_interface(bdfu_emu_node, bdfu_emu_object_iface(obj)),
		    &bdfu_emu_vtable,
		    obj,
		    NULL,
		    error);
		if (obj->reg_id == 0) {
			bdfu_emu_app_free(app);
			return NULL;
		}
	}
	return app;
}

void
bdfu_emu_app_free(BdfuEmuApp *app)
{
	if (app == NULL)
		return;
	g_ptr_array_unref(app->objects);
	if (app->root_id != 0)
		g_dbus_connection_unregister_object(bdfu_emu_bus(app->emu), app->root_id);
	g_free(app->root);
	g_free(app->adv_path);
	g_free(app);
}

const gchar *
bdfu_emu_app_get_root(BdfuEmuApp *app)
{
	return app->root;
}

const gchar *
bdfu_emu_app_get_adv_path(BdfuEmuApp *app)
{
	return app->adv_path;
}

void
bdfu_emu_app_emit_value(BdfuEmuApp *app, BdfuEmuRole role, const guint8 *buf, gsize len)
{
	for (guint i = 0; i < app->objects->len; i++) {
		BdfuEmuObject *obj = g_ptr_array_index(app->objects, i);
		GVariantBuilder changed;
		const gchar *invalidated[] = {NULL};

		if (obj->role != role)
			continue;
		g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&changed,
				      "{sv}",
				      "Value",
				      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1));
		g_dbus_connection_emit_signal(
		    bdfu_emu_bus(app->emu),
		    NULL,
		    obj->path,
		    "org.freedesktop.DBus.Properties",
		    "PropertiesChanged",
		    g_variant_new("(sa{sv}^as)", BDFU_EMU_CHAR_IFACE, &changed, invalidated),
		    NULL);
		return;
	}
}
