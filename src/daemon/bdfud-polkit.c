/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/bdfud-polkit.h"

#include "bluedfu/bdfu-error.h"

/* polkit's CheckAuthorization flag: let an agent ask the user for a password */
#define BDFUD_POLKIT_ALLOW_USER_INTERACTION 1u

static void
bdfud_polkit_reply_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	gboolean authorized = FALSE, challenge = FALSE;

	if (reply == NULL) {
		g_dbus_error_strip_remote_error(error);
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_NOT_AUTHORIZED,
					"cannot ask polkit whether you may update devices (%s).\n"
					"Fix: make sure polkitd is running",
					error->message);
		return;
	}
	g_variant_get(reply, "((bb@a{ss}))", &authorized, &challenge, NULL);
	if (!authorized) {
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_NOT_AUTHORIZED,
					"not authorized to update devices (polkit action %s).\n"
					"Fix: run as root, or ask the administrator for a polkit "
					"rule granting %s",
					(const gchar *)g_task_get_task_data(task),
					(const gchar *)g_task_get_task_data(task));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

void
bdfud_polkit_check_async(GDBusConnection *bus,
			 const gchar *sender,
			 const gchar *action,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	GVariantBuilder subject;
	GVariantBuilder details;

	g_task_set_task_data(task, g_strdup(action), g_free);
	g_variant_builder_init(&subject, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&subject, "{sv}", "name", g_variant_new_string(sender));
	g_variant_builder_init(&details, G_VARIANT_TYPE("a{ss}"));
	g_dbus_connection_call(bus,
			       "org.freedesktop.PolicyKit1",
			       "/org/freedesktop/PolicyKit1/Authority",
			       "org.freedesktop.PolicyKit1.Authority",
			       "CheckAuthorization",
			       g_variant_new("((sa{sv})sa{ss}us)",
					     "system-bus-name",
					     &subject,
					     action,
					     &details,
					     BDFUD_POLKIT_ALLOW_USER_INTERACTION,
					     ""),
			       G_VARIANT_TYPE("((bba{ss}))"),
			       G_DBUS_CALL_FLAGS_NONE,
			       /* the user may be typing a password */
			       120000,
			       cancellable,
			       bdfud_polkit_reply_cb,
			       task);
}

gboolean
bdfud_polkit_check_finish(GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}
