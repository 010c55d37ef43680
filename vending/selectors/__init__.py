"""Every read of the portal, one module per entity, shared by the web pages, the REST
API, the management commands and the notifications:

- `requests`: the scoped request list and lookups, filters, the approval queue, the
  timeline; `request_plans`: what a request would create (the preview and the plan the
  submit service checks);
- `accounts`: vended accounts, their tags; `policies`: the one effective-policy read
  (an account's, or a new account's in an OU);
- `org`: the live OU tree, the class -> OU mapping, drift;
- `audit`: the audit trail; `teams`: teams and who leads them;
- `provisioning`: provisioning as a whole (accounts by status, creation slots, accounts
  waiting to be created) for the metrics endpoint, and how long creations typically
  take in AWS.

Visibility is the QuerySets' (`Model.objects.visible_to(user)`); selectors never
import services. List querysets join what their pages and serializers render, so a page
costs the same few queries whatever its size.
"""
