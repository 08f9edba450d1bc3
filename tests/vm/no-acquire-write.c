/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LD_PRELOAD shim for the VM tests: bluedfu's AcquireWrite call goes out under another name,
 * so bluetoothd answers UnknownMethod, as a BlueZ older than 5.46 does. */
#include <dlfcn.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>

typedef void (*BdfuCallFunc)(GDBusConnection *,
			     const gchar *,
			     const gchar *,
			     const gchar *,
			     const gchar *,
			     GVariant *,
			     const GVariantType *,
			     GDBusCallFlags,
			     gint,
			     GUnixFDList *,
			     GCancellable *,
			     GAsyncReadyCallback,
			     gpointer);

void
g_dbus_connection_call_with_unix_fd_list(GDBusConnection *connection,
					 const gchar *bus_name,
					 const gchar *object_path,
					 const gchar *interface_name,
					 const gchar *method_name,
					 GVariant *parameters,
					 const GVariantType *reply_type,
					 GDBusCallFlags flags,
					 gint timeout_msec,
					 GUnixFDList *fd_list,
					 GCancellable *cancellable,
					 GAsyncReadyCallback callback,
					 gpointer user_data)
{
	BdfuCallFunc real =
	    (BdfuCallFunc)dlsym(RTLD_NEXT, "g_dbus_connection_call_with_unix_fd_list");

	if (g_strcmp0(method_name, "AcquireWrite") == 0)
		method_name = "AcquireWriteNotInThisBlueZ";
	real(connection,
	     bus_name,
	     object_path,
	     interface_name,
	     method_name,
	     parameters,
	     reply_type,
	     flags,
	     timeout_msec,
	     fd_list,
	     cancellable,
	     callback,
	     user_data);
}
