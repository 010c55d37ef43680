from django.apps import AppConfig


class VendingConfig(AppConfig):
    name = "vending"
    verbose_name = "Account vending"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from vending import checks  # noqa: F401  (registers the deploy checks)
        from vending.web.signin import audit_lockout

        user_locked_out.connect(audit_lockout, dispatch_uid="vending.audit_lockout")

        # Before anything counts: counters and histograms go to the shared folder.
        from vending.metrics.access import metrics_settings_validate
        from vending.metrics.creation import creation_duration_observe_on_commit
        from vending.metrics.multiprocess import metrics_multiprocess_setup

        metrics_settings_validate()
        metrics_multiprocess_setup()
        creation_duration_observe_on_commit()
