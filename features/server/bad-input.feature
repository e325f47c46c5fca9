Feature: Bad input
  A server faces broken clients. A bad push is refused with a clear 4xx and
  changes nothing; it never crashes the server with a 5xx.

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
        | case                      | body                                                                           |
        | invalid JSON              | {"document": "{A}", "percentage": 0.5,                                         |
        | a JSON array              | [{"document": "{A}", "percentage": 0.5, "progress": "x", "device": "d"}]      |
        | no percentage             | {"document": "{A}", "progress": "x", "device": "d", "device_id": "D"}         |
        | a percentage as text      | {"document": "{A}", "percentage": "0.5", "progress": "x", "device": "d"}      |
        | no document               | {"percentage": 0.5, "progress": "x", "device": "d", "device_id": "D"}         |
        | a document as a number    | {"document": 12345, "percentage": 0.5, "progress": "x", "device": "d"}        |

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

  @K-BAD-1 @kosync
  Rule: kosync refuses a push without a numeric percentage, progress or device with 403 and code 2003

    Scenario Outline: Pushing <case>
      When alice pushes the raw body <body>
      Then the answer is 403
      And the error code is 2003
      And alice reads "A" at 0.25 with progress "good"

      Examples:
        | case                 | body                                                              |
        | no percentage        | {"document": "{A}", "progress": "x", "device": "d"}               |
        | a percentage as text | {"document": "{A}", "percentage": "0.5", "progress": "x", "device": "d"} |
        | no progress          | {"document": "{A}", "percentage": 0.5, "device": "d"}             |
        | no device            | {"document": "{A}", "percentage": 0.5, "progress": "x"}           |

  @K-BAD-2 @kosync
  Rule: kosync refuses a push without a document with 403 and code 2004

    Scenario: Pushing without a document
      When alice pushes the raw body {"percentage": 0.5, "progress": "x", "device": "d"}
      Then the answer is 403
      And the error code is 2004

  @K-BAD-3 @kosync
  Rule: kosync refuses a body that is not a JSON object with 400

    Scenario Outline: Pushing <case>
      When alice pushes the raw body <body>
      Then the answer is 400
      And the error code is <code>

      Examples:
        | case         | body                     | code |
        | invalid JSON | {"document": "{A}",      | 103  |
        | a JSON array | [1, 2, 3]                | 104  |

  @K-ERR-1 @kosync
  Rule: kosync errors are {"code", "message"}

    Scenario: An unauthorized pull has a code and a message
      Given requests carry a wrong key
      When alice pulls "A"
      Then the answer is an error with a numeric code and a message

    Scenario Outline: A refused push (<case>) has a code and a message
      When alice pushes the raw body <body>
      Then the answer is an error with a numeric code and a message

      Examples:
        | case          | body                                               |
        | no document   | {"percentage": 0.5, "progress": "x", "device": "d"} |
        | invalid JSON  | {"document":                                       |

  @S-BAD-3
  Rule: An oversized body is refused with 413

    Scenario: A push of several hundred kilobytes
      When alice pushes "A" with a progress of 300000 characters
      Then the answer is 413
      And alice reads "A" at 0.25 with progress "good"
