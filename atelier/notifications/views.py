"""The notifications page, its nav badge, mark-all-read and the email settings page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from atelier.core.cursors import InvalidCursor
from atelier.notifications import selectors, services
from atelier.notifications.forms import NotificationSettingsForm
from atelier.notifications.models import NotificationSettings


@login_required
@require_GET
def notification_list(request):
    """Opening a page marks what it shows read (the lines keep their unread look this once). htmx's
    "load more" gets the next lines only; plain browsers get the whole page."""
    cursor = request.GET.get("cursor")
    try:
        page = selectors.notification_page(recipient=request.user, cursor=cursor)
    except InvalidCursor as error:
        return render(request, "notifications/list.html", {"error": str(error)}, status=400)
    shown = [pk for group in page.groups if group.unread for pk in group.ids]
    if shown:
        services.notifications_mark_read(recipient=request.user, ids=shown)
    context = {"page": page, "more_url": request.path}
    if request.htmx and cursor:
        return render(request, "notifications/includes/page.html", context)
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def mark_all_read(request):
    services.notifications_mark_read(recipient=request.user)
    if not request.htmx:
        messages.success(request, "All notifications marked as read.")
    return redirect("notifications:list")


@require_GET
def badge(request):
    """The nav badge fragment, polled by htmx. Signed out (a session that ended): 204, nothing swapped."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    count = selectors.unread_count(recipient=request.user)
    return render(request, "notifications/includes/badge.html", {"unread": count})


@login_required
def notification_settings(request):
    preferences = NotificationSettings.objects.filter(user=request.user).first() or NotificationSettings(
        user=request.user
    )
    form = NotificationSettingsForm(request.POST if request.method == "POST" else None, instance=preferences)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Notification settings saved.")
            return redirect("notifications:settings")
        return render(request, "notifications/settings.html", {"form": form}, status=400)
    return render(request, "notifications/settings.html", {"form": form})
