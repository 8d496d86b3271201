terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
{%- if cookiecutter.use_cloudfront == 'y' %}
      # The edge module's certificate and web ACL live in us-east-1.
      configuration_aliases = [aws.us_east_1]
{%- endif %}
    }
  }
}
