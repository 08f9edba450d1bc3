/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-bluez"

#include "backend/bluez/bdfu-bluez-private.h"
#include "bluedfu/bdfu-error.h"

/* BLUEZ.md §4.2: a NoInputNoOutput agent on our own connection; it accepts Just-Works requests
 * for the device being bonded and refuses everything else. It dies with the connection. */

struct _BdfuBluezAgent {
	GDBusConnection *bus;
	gchar *path;
	guint registration_id;
	gboolean registered;
	gchar *device_path;
};

static const gchar bdfu_bluez_agent_xml[] =
    "<node>"
    " <interface name='org.bluez.Agent1'>"
    "  <method name='Release'/>"
    "  <method name='RequestPinCode'><arg type='o' direction='in'/>"
    "   <arg type='s' direction='out'/></method>"
    "  <method name='DisplayPinCode'><arg type='o' direction='in'/>"
    "   <arg type='s' direction='in'/></method>"
    "  <method name='RequestPasskey'><arg type='o' direction='in'/>"
    "   <arg type='u' direction='out'/></method>"
    "  <method name='DisplayPasskey'><arg type='o' direction='in'/>"
    "   <arg type='u' direction='in'/><arg type='q' direction='in'/></method>"
    "  <method name='RequestConfirmation'><arg type='o' direction='in'/>"
    "   <arg type='u' direction='in'/></method>"
    "  <method name='RequestAuthorization'><arg type='o' direction='in'/></method>"
    "  <method name='AuthorizeService'><arg type='o' direction='in'/>"
    "   <arg type='s' direction='in'/></method>"
    "  <method name='Cancel'/>"
    " </interface>"
    "</node>";

static void
bdfu_bluez_agent_method_call(GDBusConnection *connection,
			     const gchar *sender,
			     const gchar *object_path,
			     const gchar *interface_name,
			     const gchar *method_name,
			     GVariant *parameters,
			     GDBusMethodInvocation *invocation,
			     gpointer user_data)
{
	BdfuBluezAgent *self = user_data;
	const gchar *device = NULL;

	if (g_strcmp0(method_name, "Release") == 0 || g_strcmp0(method_name, "Cancel") == 0 ||
	    g_strcmp0(method_name, "DisplayPinCode") == 0 ||
	    g_strcmp0(method_name, "DisplayPasskey") == 0) {
		g_dbus_method_invocation_return_value(invocation, NULL);
		return;
	}
	if (g_variant_n_children(parameters) > 0)
		g_variant_get_child(parameters, 0, "&o", &device);
	/* no display, no keyboard: only a confirmation for our own device can be accepted */
	if ((g_strcmp0(method_name, "RequestConfirmation") == 0 ||
	     g_strcmp0(method_name, "RequestAuthorization") == 0 ||
	     g_strcmp0(method_name, "AuthorizeService") == 0) &&
	    self->device_path != NULL && g_strcmp0(device, self->device_path) == 0) {
		g_dbus_method_invocation_return_value(invocation, NULL);
		return;
	}
	g_dbus_method_invocation_return_dbus_error(invocation,
						   "org.bluez.Error.Rejected",
						   "bluedfu accepts only Just-Works pairing of the "
						   "device it updates");
}

static const GDBusInterfaceVTable bdfu_bluez_agent_vtable = {
    .method_call = bdfu_bluez_agent_method_call,
};

BdfuBluezAgent *
bdfu_bluez_agent_new(GDBusConnection *bus, GError **error)
{
	static guint counter = 0;
	g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml(bdfu_bluez_agent_xml, error);
	BdfuBluezAgent *self;

	if (info == NULL)
		return NULL;
	self = g_new0(BdfuBluezAgent, 1);
	self->bus = g_object_ref(bus);
	self->path = g_strdup_printf("/io/github/bluedfu/agent%u", ++counter);
	self->registration_id = g_dbus_connection_register_object(
	    bus, self->path, info->interfaces[0], &bdfu_bluez_agent_vtable, self, NULL, error);
	if (self->registration_id == 0) {
		bdfu_bluez_agent_free(self);
		return NULL;
	}
	return self;
}

void
bdfu_bluez_agent_set_device(BdfuBluezAgent *self, const gchar *device_path)
{
	g_free(self->device_path);
	self->device_path = g_strdup(device_path);
}

static void
bdfu_bluez_agent_registered_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezAgent *self = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (reply == NULL && !bdfu_bluez_error_is(error, "org.bluez.Error.AlreadyExists", NULL)) {
		g_task_return_error(
		    task, bdfu_bluez_error_convert(error, "cannot register the agent", NULL));
		return;
	}
	self->registered = TRUE;
	g_task_return_boolean(task, TRUE);
}

void
bdfu_bluez_agent_register_async(BdfuBluezAgent *self,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	g_task_set_task_data(task, self, NULL);
	if (self->registered) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	g_dbus_connection_call(self->bus,
			       BDFU_BLUEZ_SERVICE,
			       "/org/bluez",
			       BDFU_BLUEZ_AGENT_MANAGER_IFACE,
			       "RegisterAgent",
			       g_variant_new("(os)", self->path, "NoInputNoOutput"),
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_SHORT_CALL_MS,
			       cancellable,
			       bdfu_bluez_agent_registered_cb,
			       task);
}

gboolean
bdfu_bluez_agent_register_finish(BdfuBluezAgent *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
bdfu_bluez_agent_free(BdfuBluezAgent *self)
{
	if (self == NULL)
		return;
	if (self->registered)
		g_dbus_connection_call(self->bus,
				       BDFU_BLUEZ_SERVICE,
				       "/org/bluez",
				       BDFU_BLUEZ_AGENT_MANAGER_IFACE,
				       "UnregisterAgent",
				       g_variant_new("(o)", self->path),
				       NULL,
				       G_DBUS_CALL_FLAGS_NONE,
				       BDFU_BLUEZ_SHORT_CALL_MS,
				       NULL,
				       NULL,
				       NULL);
	if (self->registration_id != 0)
		g_dbus_connection_unregister_object(self->bus, self->registration_id);
	g_object_unref(self->bus);
	g_free(self->path);
	g_free(self->device_path);
	g_free(self);
}
