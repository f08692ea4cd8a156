from django.urls import path

from . import api

urlpatterns = [
    path("verify", api.VerifyApi.as_view(), name="api-verify"),
    path("ledger/export", api.LedgerExportApi.as_view(), name="api-ledger-export"),
]
