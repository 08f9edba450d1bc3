/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bluedfu/bdfu-dbus.h"
#include "bluedfu/bdfu-error.h"

void
bdfu_dbus_error_ensure(void)
{
	static gsize once = 0;
	static GDBusErrorEntry entries[BDFU_ERROR_LAST];
	static gchar names[BDFU_ERROR_LAST][64];

	if (!g_once_init_enter(&once))
		return;
	for (guint i = 0; i < BDFU_ERROR_LAST; i++) {
		g_snprintf(names[i], sizeof(names[i]), BDFU_DBUS_ERROR_PREFIX "%s",
			   bdfu_error_to_string((BdfuError)i));
		entries[i].error_code = (gint)i;
		entries[i].dbus_error_name = names[i];
	}
	for (guint i = 0; i < BDFU_ERROR_LAST; i++)
		g_dbus_error_register_error(BDFU_ERROR, entries[i].error_code,
					    entries[i].dbus_error_name);
	g_once_init_leave(&once, 1);
}
