/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bluedfu/bdfu-dbus.h"
#include "bluedfu/bdfu-error.h"

void
bdfu_dbus_error_ensure(void)
{
	static gsize once = 0;

	if (!g_once_init_enter(&once))
		return;
	for (guint i = 0; i < BDFU_ERROR_LAST; i++) {
		g_autofree gchar *name =
		    g_strconcat(BDFU_DBUS_ERROR_PREFIX, bdfu_error_to_string((BdfuError)i), NULL);
		g_dbus_error_register_error(BDFU_ERROR, (gint)i, name);
	}
	g_once_init_leave(&once, 1);
}
