# Dated tables, checked by the template's tests against its release date (2026-11-29). Update them
# together with cookiecutter.json's kubernetes_version menu when a new version reaches EKS. The menu
# offers only versions with at least 90 days of standard support left on that date; 1.34 stays here
# for clusters made from an earlier template, whose next step is 1.35.
locals {
  # End of EKS standard support, UTC (Amazon EKS Kubernetes release calendar, read 2026-11).
  # EKS upgrades a STANDARD-policy control plane itself after this date.
  standard_support_ends = {
    "1.34" = "2026-12-02"
    "1.35" = "2027-03-27"
    "1.36" = "2027-08-02"
  }

  # Add-on versions pinned per Kubernetes minor, so changing kubernetes_version upgrades the
  # add-ons in the same apply, after the control plane (the add-ons depend on the cluster).
  # kube-proxy and CoreDNS: the EKS user guide's per-version tables (read 2026-11); the VPC CNI
  # release supports every version listed. The other add-ons follow EKS's default for the version
  # (addons.tf), as EKS publishes no per-version table for them.
  addon_versions = {
    "1.34" = {
      "vpc-cni"    = "v1.21.2-eksbuild.2"
      "kube-proxy" = "v1.34.6-eksbuild.2"
      "coredns"    = "v1.13.2-eksbuild.7"
    }
    "1.35" = {
      "vpc-cni"    = "v1.21.2-eksbuild.2"
      "kube-proxy" = "v1.35.3-eksbuild.2"
      "coredns"    = "v1.14.2-eksbuild.4"
    }
    "1.36" = {
      "vpc-cni"    = "v1.21.2-eksbuild.2"
      "kube-proxy" = "v1.36.2-eksbuild.7"
      "coredns"    = "v1.14.2-eksbuild.4"
    }
  }
}

# A warning on every plan once the version has left standard support: the next step is an upgrade,
# before EKS does it unasked and the configuration asks for a downgrade EKS refuses.
check "kubernetes_version_in_standard_support" {
  assert {
    condition     = timecmp(plantimestamp(), "${lookup(local.standard_support_ends, var.kubernetes_version, "1970-01-01")}T00:00:00Z") < 0
    error_message = "Kubernetes ${var.kubernetes_version} is past the end of EKS standard support (${lookup(local.standard_support_ends, var.kubernetes_version, "unknown")}): EKS upgrades the control plane itself; set kubernetes_version to the next minor and apply."
  }
}
