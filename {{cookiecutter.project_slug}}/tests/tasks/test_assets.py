"""assets.publish: content types, cache rules, skip-unchanged, CloudFront invalidation (against moto)."""

import pytest
from conftest import create_bucket, effect_lines, put_state, s3_client
from invoke import Exit

from tasks import assets
from tasks.assets import IMMUTABLE, REVALIDATE, cache_control, changed, content_type, invalidation_paths


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("static/app.css", "text/css; charset=utf-8"),
        ("static/app.3f9a2b1c.js", "text/javascript; charset=utf-8"),
        ("static/logo.svg", "image/svg+xml; charset=utf-8"),
        ("static/logo.png", "image/png"),
        ("static/font.woff2", "font/woff2"),
        ("static/app.js.map", "application/json; charset=utf-8"),
        ("static/site.webmanifest", "application/manifest+json; charset=utf-8"),
        ("static/blob.unknownext", "application/octet-stream"),
    ],
)
def test_content_type(name, expected):
    assert content_type(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("static/app.3f9a2b1c.css", IMMUTABLE),
        ("static/app.0123456789abcdef.js", IMMUTABLE),
        ("static/app.css", REVALIDATE),
        ("static/favicon.ico", REVALIDATE),
        ("static/app.3f9a.css", REVALIDATE),  # too short to be a content hash
        ("static/release.20261126.txt", IMMUTABLE),
    ],
)
def test_cache_control(name, expected):
    assert cache_control(name) == expected


def test_changed_compares_md5_with_the_quoted_etag(tmp_path):
    local = {"static/a.css": (tmp_path, "aaa"), "static/b.css": (tmp_path, "bbb"), "static/c.css": (tmp_path, "ccc")}
    assert changed(local, {"static/a.css": '"aaa"', "static/b.css": '"old"'}) == ["static/b.css", "static/c.css"]


def test_invalidation_paths_skip_fingerprinted_and_collapse_when_many():
    assert invalidation_paths(["static/app.css", "static/app.3f9a2b1c.js"]) == ["/static/app.css"]
    many = [f"static/page{i}.css" for i in range(16)]
    assert invalidation_paths(many) == ["/static/*"]
    assert invalidation_paths([]) == []


def make_static(project, package):
    static = project / "src" / package / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "app.css").write_text("body { color: black; }\n")
    (static / "app.3f9a2b1c.js").write_text("console.log('hi');\n")
    (static / ".DS_Store").write_text("junk")
    return static


def make_distribution(aws):
    return aws.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "t",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {"Id": "s3", "DomainName": "b.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )["Distribution"]["Id"]


def invalidated_paths(aws, distribution):
    cloudfront = aws.client("cloudfront")
    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return [
        cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"]["InvalidationBatch"][
            "Paths"
        ]["Items"]
        for item in listed
    ]


def write_outputs(aws, bucket, distribution):
    put_state(aws, {"static_bucket_name": bucket, "cloudfront_distribution_id": distribution})


def test_publish_uploads_with_headers_then_skips_unchanged(aws, mock_context, project, capsys):
    context = mock_context()
    static = make_static(project, context.config.project.package)
    s3 = s3_client(aws)
    create_bucket(s3, "svc-staging-static")
    distribution = make_distribution(aws)
    write_outputs(aws, "svc-staging-static", distribution)

    assets.publish(context, env="staging")
    head = s3.head_object(Bucket="svc-staging-static", Key="static/css/app.css")
    assert (head["ContentType"], head["CacheControl"]) == ("text/css; charset=utf-8", REVALIDATE)
    head = s3.head_object(Bucket="svc-staging-static", Key="static/app.3f9a2b1c.js")
    assert (head["ContentType"], head["CacheControl"]) == ("text/javascript; charset=utf-8", IMMUTABLE)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="svc-staging-static")["Contents"]]
    assert sorted(keys) == ["static/app.3f9a2b1c.js", "static/css/app.css"]
    assert invalidated_paths(aws, distribution) == [["/static/css/app.css"]]
    assert "0 unchanged, 2 uploaded." in capsys.readouterr().out

    assets.publish(context, env="staging")
    assert "2 unchanged, 0 uploaded." in capsys.readouterr().out
    assert len(invalidated_paths(aws, distribution)) == 1

    (static / "css" / "app.css").write_text("body { color: navy; }\n")
    assets.publish(context, env="staging")
    assert "1 unchanged, 1 uploaded." in capsys.readouterr().out
    assert len(invalidated_paths(aws, distribution)) == 2


def test_publish_dry_run_lists_the_same_effects_and_changes_nothing(aws, mock_context, project, capsys):
    context = mock_context(dry=True)
    make_static(project, context.config.project.package)
    create_bucket(s3_client(aws), "svc-staging-static")
    distribution = make_distribution(aws)
    write_outputs(aws, "svc-staging-static", distribution)
    assets.publish(context, env="staging")
    dry = effect_lines(capsys.readouterr().out)
    assert dry == [
        f"aws: s3 put s3://svc-staging-static/static/app.3f9a2b1c.js (text/javascript; charset=utf-8; {IMMUTABLE})",
        f"aws: s3 put s3://svc-staging-static/static/css/app.css (text/css; charset=utf-8; {REVALIDATE})",
        f"aws: cloudfront invalidate {distribution}: /static/css/app.css",
    ]
    assert s3_client(aws).list_objects_v2(Bucket="svc-staging-static")["KeyCount"] == 0
    assert invalidated_paths(aws, distribution) == []
    assets.publish(mock_context(), env="staging")
    assert effect_lines(capsys.readouterr().out) == dry


def test_publish_without_cloudfront_says_the_app_serves_static(aws, mock_context, capsys):
    write_outputs(aws, "", "")
    assets.publish(mock_context(), env="staging")
    assert "has no static assets bucket (CloudFront is off)" in capsys.readouterr().out


def test_publish_before_provision_is_a_sentence(aws, mock_context):
    put_state(aws, {})
    with pytest.raises(Exit) as error:
        assets.publish(mock_context(), env="staging")
    assert error.value.message == (
        "Terraform output 'static_bucket_name' is missing in staging: run `invoke provision --env staging`."
    )
