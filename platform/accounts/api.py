"""Token log-in and the current account, for API clients."""

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import DomainError
from config.serializers import StrictSerializer

from .selectors import quota_for_user, quota_left, strikes_recent


class LoginLockedOut(DomainError):
    code = "login_locked_out"
    status_code = 429

class TokenCreateApi(APIView):
    """Exchange a username and password for an expiring API token (only its hash is stored)."""

    permission_classes = [AllowAny]
    # Knox's class only so that a failed log-in answers 401 with a WWW-Authenticate header.
    authentication_classes = [TokenAuthentication]
    throttle_scope = "login"

    class TokenCreateInputSerializer(StrictSerializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    class TokenCreateOutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expiry = serializers.DateTimeField(allow_null=True)

    @extend_schema(request=TokenCreateInputSerializer, responses={201: TokenCreateOutputSerializer}, auth=[])
    def post(self, request):
        data = self.TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = authenticate(request._request, **data.validated_data)
        except AxesBackendPermissionDenied as exc:
            raise LoginLockedOut("too many failed logins for this account from this address; "
                                 f"try again in {settings.AXES_COOLOFF_TIME} or ask an administrator") from exc
        if user is None:
            from rest_framework.exceptions import AuthenticationFailed

            raise AuthenticationFailed("wrong username or password")
        instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
        return Response(self.TokenCreateOutputSerializer({"token": token, "expiry": instance.expiry}).data, status=201)


class TokenRevokeApi(APIView):
    """Revoke the token this request was made with."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=204)


class MeApi(APIView):
    """The signed-in account: role, quota, strikes."""

    class AccountSerializer(serializers.Serializer):
        username = serializers.CharField()
        email = serializers.EmailField()
        role = serializers.CharField()
        suspended = serializers.BooleanField()
        daily_quota = serializers.IntegerField()
        quota_left = serializers.IntegerField()
        recent_strikes = serializers.IntegerField()

    @extend_schema(responses=AccountSerializer)
    def get(self, request):
        user = request.user
        return Response(self.AccountSerializer({
            "username": user.username, "email": user.email, "role": user.role,
            "suspended": user.is_suspended, "daily_quota": quota_for_user(user),
            "quota_left": quota_left(user), "recent_strikes": strikes_recent(user).count(),
        }).data)
