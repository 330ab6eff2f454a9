from . import access


def kefu(request):
    user = getattr(request, "user", None)
    return {
        "kefu_is_admin": access.is_admin(user) if user is not None else False,
    }
