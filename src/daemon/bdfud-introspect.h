/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* an interface of data/io.github.bluedfu.xml, compiled into the daemon */
GDBusInterfaceInfo *
bdfud_introspect_get_interface(const gchar *name);

G_END_DECLS
