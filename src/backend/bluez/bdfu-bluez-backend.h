/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "backend/bdfu-backend.h"

G_BEGIN_DECLS

#define BDFU_TYPE_BLUEZ_BACKEND (bdfu_bluez_backend_get_type())
G_DECLARE_FINAL_TYPE(BdfuBluezBackend, bdfu_bluez_backend, BDFU, BLUEZ_BACKEND, BdfuBackend)

/* The BlueZ backend: talks to org.bluez on the system bus (DBUS_SYSTEM_BUS_ADDRESS is
 * honoured) through a private bus connection of its own. `adapter` is "hci0" or NULL for the
 * first powered adapter. The bus is only contacted by the first scan or connect, so this never
 * blocks; errors about the adapter are reported there. */
BdfuBackend *
bdfu_bluez_backend_new(const gchar *adapter, GError **error);

G_END_DECLS
