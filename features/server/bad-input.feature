Feature: Bad input
  A server faces broken clients. A bad push is refused with a clear 4xx and
  changes nothing; it never crashes the server with a 5xx. Each case sends a
  complete, valid push except for the one thing it names, so a server that
  requires `device_id` refuses it for that thing, not for a missing field.

  Background:
    Given a book "A"
    And alice has pushed "A" at 0.25 with progress "good"

  @S-BAD-1 @booklore
  Rule: A malformed push answers 400 and stores nothing

    Scenario Outline: Pushing <case>
      When alice pushes the raw body <body>
      Then the answer is 400
      And alice reads "A" at 0.25 with progress "good"

      Examples:
        | case                   | body                                                                                     |
        | invalid JSON           | {"document": "{A}", "percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"   |
        | a JSON array           | [{"document": "{A}", "percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"}] |
        | no percentage          | {"document": "{A}", "progress": "x", "device": "d", "device_id": "D"}                    |
        | a percentage as text   | {"document": "{A}", "percentage": "half", "progress": "x", "device": "d", "device_id": "D"} |
        | no document            | {"percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"}                    |
        | a document as a number | {"document": 12345, "percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"} |

  @S-BAD-2 @booklore
  Rule: A percentage outside 0..1 is refused with 400

    Scenario Outline: Pushing percentage <percentage>
      When alice pushes "A" at <percentage> with progress "out of range"
      Then the answer is 400
      And alice reads "A" at 0.25 with progress "good"

      Examples:
        | percentage |
        | 1.5        |
        | -0.1       |

  @S-BAD-3
  Rule: An oversized body is refused with 413

    Scenario: A push of several hundred kilobytes
      When alice pushes "A" with a progress of 300000 characters
      Then the answer is 413
      And alice reads "A" at 0.25 with progress "good"
