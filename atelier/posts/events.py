"""The domain events of a post's public life, sent by `posts.visibility` once the change is committed.

Subscribers connect in their own app's `ready()` (feeds fan out and forget, notifications tell the
people mentioned, the files step moves renditions in or out of public storage) and never write a
post's state. Every event carries ids, not rows: a subscriber reads what it needs.

- `post_became_public(post_id, author_id)`: the post entered `public` (`visibility.refresh`, the only
  path there).
- `post_left_public(post_id, author_id, reason)`: it was public and is not any more: held, unpublished,
  taken down, back to checking, or deleted (`reason` is the new state, or "deleted").
- `post_changed(post_id)`: what a public post shows changed without a change of state (its text,
  order, covers or renditions): caches drop their copy.
- `item_needs_check(item_id, render_version=None, handed_out_again=False)`: a media item's original
  was stored or replaced (sent on commit by `posts.services`); with `render_version`
  (MEDIA_DETECTION_ONE_PASS) the check also renders that version from the same decode;
  `handed_out_again` when the stalled-media sweep (`posts.tasks`) sends it again for the same
  original because that one task was lost. The AI check (protection.detection) subscribes and
  queues itself: posts sits below protection and never imports it, and until a verdict is recorded
  the post stays private.
"""

from django.dispatch import Signal

post_became_public = Signal()
post_left_public = Signal()
post_changed = Signal()
item_needs_check = Signal()
