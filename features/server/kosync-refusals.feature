@kosync
Feature: Refusals of the reference server (kosync)
  The reference kosync server refuses a bad push with a status and an error
  body `{"code", "message"}` of its own. KOReader never sends such pushes and
  never reads `code`, so these rules are fidelity (SHOULD). Each case sends a
  complete, valid push except for the one thing it names.

  Background:
    Given a book "A"

  @K-BAD-1
  Rule: A push without a percentage tonumber reads, a progress or a device is refused with 403 and code 2003

    Scenario Outline: Pushing <case>
      When alice pushes the raw body <body>
      Then the answer is 403
      And the error code is 2003

      Examples:
        | case                 | body                                                                                     |
        | no percentage        | {"document": "{A}", "progress": "x", "device": "d", "device_id": "D"}                    |
        | a percentage as text | {"document": "{A}", "percentage": "half", "progress": "x", "device": "d", "device_id": "D"} |
        | no progress          | {"document": "{A}", "percentage": 0.5, "device": "d", "device_id": "D"}                  |
        | no device            | {"document": "{A}", "percentage": 0.5, "progress": "x", "device_id": "D"}                |

  @K-BAD-2
  Rule: A push without a usable document id is refused with 403 and code 2004

    Scenario Outline: Pushing <case>
      When alice pushes the raw body <body>
      Then the answer is 403
      And the error code is 2004

      Examples:
        | case                   | body                                                                                   |
        | no document            | {"percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"}                  |
        | a document with a colon | {"document": "{A}:1", "percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"} |

  @K-BAD-3
  Rule: A body that is not a JSON object is refused with 400

    Scenario Outline: Pushing <case>
      When alice pushes the raw body <body>
      Then the answer is 400
      And the error code is <code>

      Examples:
        | case         | body                                                                                     | code |
        | invalid JSON | {"document": "{A}", "percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"   | 103  |
        | a JSON array | [{"document": "{A}", "percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"}] | 104  |

  @K-ERR-1
  Rule: Errors are {"code", "message"}

    Scenario: An unauthorized pull has a code and a message
      Given requests carry a wrong key
      When alice pulls "A"
      Then the answer is an error with a numeric code and a message

    Scenario Outline: A refused push (<case>) has a code and a message
      When alice pushes the raw body <body>
      Then the answer is an error with a numeric code and a message

      Examples:
        | case         | body                                                                                   |
        | no document  | {"percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"}                  |
        | invalid JSON | {"document": "{A}", "percentage": 0.5, "progress": "x", "device": "d", "device_id": "D" |
