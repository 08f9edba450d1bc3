/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "backend/bdfu-backend.h"

#include "bluedfu/bdfu-error.h"

#include <string.h>

G_DEFINE_ABSTRACT_TYPE(BdfuBackend, bdfu_backend, G_TYPE_OBJECT)

static void
bdfu_backend_class_init(BdfuBackendClass *klass)
{
}

static void
bdfu_backend_init(BdfuBackend *self)
{
}

const gchar *
bdfu_device_mode_to_string(BdfuDeviceMode mode)
{
	switch (mode) {
	case BDFU_DEVICE_MODE_APP:
		return "app";
	case BDFU_DEVICE_MODE_APP_BUTTONLESS:
		return "app-buttonless";
	case BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED:
		return "app-buttonless-bonded";
	case BDFU_DEVICE_MODE_DFU:
		return "dfu";
	case BDFU_DEVICE_MODE_LEGACY_DFU:
		return "legacy-dfu";
	default:
		return "unknown";
	}
}

gboolean
bdfu_device_mode_is_app(BdfuDeviceMode mode)
{
	return mode == BDFU_DEVICE_MODE_APP || mode == BDFU_DEVICE_MODE_APP_BUTTONLESS ||
	       mode == BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED;
}

BdfuDeviceInfo *
bdfu_device_info_new(void)
{
	return g_new0(BdfuDeviceInfo, 1);
}

BdfuDeviceInfo *
bdfu_device_info_copy(const BdfuDeviceInfo *info)
{
	BdfuDeviceInfo *copy = g_new0(BdfuDeviceInfo, 1);
	*copy = *info;
	copy->address = g_strdup(info->address);
	copy->name = g_strdup(info->name);
	copy->adapter = g_strdup(info->adapter);
	return copy;
}

void
bdfu_device_info_free(BdfuDeviceInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->address);
	g_free(info->name);
	g_free(info->adapter);
	g_free(info);
}

void
bdfu_backend_scan_async(BdfuBackend *self,
			const BdfuScanFilter *filter,
			guint timeout_ms,
			GCancellable *cancellable,
			GAsyncReadyCallback callback,
			gpointer user_data)
{
	g_return_if_fail(BDFU_IS_BACKEND(self));
	BDFU_BACKEND_GET_CLASS(self)->scan_async(self,
						  filter,
						  timeout_ms,
						  cancellable,
						  callback,
						  user_data);
}

GPtrArray *
bdfu_backend_scan_finish(BdfuBackend *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(BDFU_IS_BACKEND(self), NULL);
	return BDFU_BACKEND_GET_CLASS(self)->scan_finish(self, res, error);
}

void
bdfu_backend_connect_async(BdfuBackend *self,
			   const gchar *address,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	g_return_if_fail(BDFU_IS_BACKEND(self));
	BDFU_BACKEND_GET_CLASS(self)->connect_async(self, address, cancellable, callback, user_data);
}

BdfuConnection *
bdfu_backend_connect_finish(BdfuBackend *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(BDFU_IS_BACKEND(self), NULL);
	return BDFU_BACKEND_GET_CLASS(self)->connect_finish(self, res, error);
}

void
bdfu_backend_forget_device(BdfuBackend *self, const gchar *address)
{
	BdfuBackendClass *klass = BDFU_BACKEND_GET_CLASS(self);
	if (klass->forget_device != NULL)
		klass->forget_device(self, address);
}

guint
bdfu_backend_timeout_add(BdfuBackend *self, guint ms, GSourceFunc func, gpointer user_data)
{
	BdfuBackendClass *klass = BDFU_BACKEND_GET_CLASS(self);
	if (klass->timeout_add != NULL)
		return klass->timeout_add(self, ms, func, user_data);
	return g_timeout_add(ms, func, user_data);
}

void
bdfu_backend_timeout_remove(BdfuBackend *self, guint id)
{
	BdfuBackendClass *klass = BDFU_BACKEND_GET_CLASS(self);
	if (id == 0)
		return;
	if (klass->timeout_remove != NULL)
		klass->timeout_remove(self, id);
	else
		g_source_remove(id);
}

gint64
bdfu_backend_get_time_us(BdfuBackend *self)
{
	BdfuBackendClass *klass = BDFU_BACKEND_GET_CLASS(self);
	if (klass->get_time_us != NULL)
		return klass->get_time_us(self);
	return g_get_monotonic_time();
}

const gchar *
bdfu_backend_get_name(BdfuBackend *self)
{
	return BDFU_BACKEND_GET_CLASS(self)->get_name(self);
}

void
bdfu_backend_flush(BdfuBackend *self)
{
	BdfuBackendClass *klass = BDFU_BACKEND_GET_CLASS(self);
	if (klass->flush != NULL)
		klass->flush(self);
}

gboolean
bdfu_address_normalize(const gchar *text, gchar out[18])
{
	guint octets[6];
	if (text == NULL || strlen(text) != 17)
		return FALSE;
	for (guint i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (text[i] != ':')
				return FALSE;
		} else if (!g_ascii_isxdigit(text[i])) {
			return FALSE;
		}
	}
	for (guint i = 0; i < 6; i++)
		octets[i] = (g_ascii_xdigit_value(text[i * 3]) << 4) |
			    g_ascii_xdigit_value(text[i * 3 + 1]);
	g_snprintf(out,
		   18,
		   "%02X:%02X:%02X:%02X:%02X:%02X",
		   octets[0],
		   octets[1],
		   octets[2],
		   octets[3],
		   octets[4],
		   octets[5]);
	return TRUE;
}

gchar *
bdfu_address_increment(const gchar *address)
{
	gchar norm[18];
	guint last;
	if (!bdfu_address_normalize(address, norm))
		return NULL;
	/* the bootloader adds 1 to the least significant octet only, wrapping without carry */
	last = (g_ascii_xdigit_value(norm[15]) << 4) | g_ascii_xdigit_value(norm[16]);
	last = (last + 1) & 0xFF;
	g_snprintf(norm + 15, 3, "%02X", last);
	return g_strdup(norm);
}
