"""Pages of the sales app: leads (included by sales/urls.py under the `sales:` namespace)."""

urlpatterns = []
