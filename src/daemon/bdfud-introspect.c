/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/bdfud-introspect.h"

GDBusInterfaceInfo *
bdfud_introspect_get_interface(const gchar *name)
{
	static GDBusNodeInfo *node = NULL;
	if (node == NULL) {
		g_autoptr(GBytes) xml = g_resources_lookup_data(
		    "/io/github/bluedfu/io.github.bluedfu.xml", G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
		g_autoptr(GError) error = NULL;
		/* the XML is built in: failing to parse it is a build defect */
		node = g_dbus_node_info_new_for_xml(g_bytes_get_data(xml, NULL), &error);
		if (node == NULL)
			g_error("built-in introspection XML: %s", error->message);
	}
	return g_dbus_node_info_lookup_interface(node, name);
}
