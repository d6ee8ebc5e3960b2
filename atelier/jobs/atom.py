"""An Atom feed of open jobs for any set of filters: the feed URL carries the list's query string.

Each entry's HTML summary is a template (jobs/feed_item_description.html), so everything a studio
typed is escaped by construction; text elements (titles, names) are escaped by the XML writer.
"""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from atelier.jobs.forms import JobFilterForm
from atelier.jobs.selectors import jobs_for_feed


class JobsAtomFeed(Feed):
    feed_type = Atom1Feed
    description_template = "jobs/feed_item_description.html"

    def get_object(self, request, *args, **kwargs):
        return JobFilterForm(request.GET).filters()

    def title(self, filters):
        return "Atelier jobs" + (f": {filters['q']}" if filters.get("q") else "")

    def link(self, filters):
        return reverse("jobs:list")

    def subtitle(self, filters):
        return "Open jobs for artists, newest first."

    def items(self, filters):
        return jobs_for_feed(filters)

    def item_title(self, job):
        return f"{job.title} — {job.studio.profile.name}"

    def item_pubdate(self, job):
        return job.created_at

    def item_updateddate(self, job):
        return job.updated_at

    def item_author_name(self, job):
        return job.studio.profile.name
