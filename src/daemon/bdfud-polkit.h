/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Asks polkit (org.freedesktop.PolicyKit1 on `bus`) whether the caller `sender` may do
 * `action`. Errors: BDFU_ERROR_NOT_AUTHORIZED when polkit says no or cannot be asked. */
void
bdfud_polkit_check_async(GDBusConnection *bus,
			 const gchar *sender,
			 const gchar *action,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data);
gboolean
bdfud_polkit_check_finish(GAsyncResult *res, GError **error);

G_END_DECLS
