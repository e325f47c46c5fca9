@kosync
Feature: Health and content negotiation (kosync)
  The reference kosync server answers a health check and speaks a vendor
  media type: KOReader sends `Accept: application/vnd.koreader.v1+json`.

  @K-HEALTH-1
  Rule: The health check answers {"state":"OK"}

    Scenario: Checking health
      When someone checks the server's health
      Then the answer is 200
      And the answer is the JSON {"state":"OK"}

  @K-ACCEPT-1 @strict-accept
  Rule: Requests with the vendor Accept header are served, even by a strict server

    Scenario: Authenticating with the vendor Accept header
      When alice checks her credentials
      Then the answer is 200

  @K-ACCEPT-2 @strict-accept
  Rule: A server strict about Accept answers 412: code 101 for a wrong one, 100 for none

    Scenario: Authenticating with Accept text/html
      Given requests carry the Accept header "text/html"
      When alice checks her credentials
      Then the answer is served, or refused with 412 and error code 101

    Scenario: Authenticating without an Accept header
      Given requests carry no Accept header
      When alice checks her credentials
      Then the answer is served, or refused with 412 and error code 100
