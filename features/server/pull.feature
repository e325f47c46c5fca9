Feature: Pulling progress
  A pull is `GET …/syncs/progress/{document}`. After a push it answers the
  stored position; before any push, BookLore answers 404 and the reference
  kosync server answers an empty object.

  Background:
    Given a book "A"

  @S-PULL-1
  Rule: A pull after a push answers every field, the position byte for byte

    Scenario Outline: Reading back <progress>
      When alice pushes "A" at 0.3125 with progress "<progress>"
      And alice pulls "A"
      Then the answer is 200
      And the answer's "document" is the hash of "A"
      And the answer's "percentage" is the number 0.3125
      And the answer's "progress" is "<progress>"
      And the answer's "timestamp" is a whole number
      And the answer's "device" is a string
      And the answer's "device_id" is a string

      Examples:
        | progress                                        |
        | /body/DocFragment[12]/body/div/p[4]/text().17   |
        | 42                                              |
        | Chapter 3 – «quoted» ünïcödé                    |

    Scenario: A position with surrounding spaces is kept whole
      When alice pushes "A" at 0.5 with progress "  page 7  "
      Then alice reads "A" at 0.5 with progress "  page 7  "

  @K-RT-1 @kosync
  Rule: kosync gives back the pushing device's name and id

    Scenario: Device and device id round-trip
      When alice pushes "A" from device "Kobo Libra 2" with id "A1B2C3D4E5F60718293A4B5C6D7E8F90" at 0.5 with progress "9"
      And alice pulls "A"
      Then the answer's "device" is "Kobo Libra 2"
      And the answer's "device_id" is "A1B2C3D4E5F60718293A4B5C6D7E8F90"

  @S-PULL-2 @booklore
  Rule: A document with no progress for this user answers 404

    Scenario: An unread book is not found
      Given a book "B" that alice has never synced
      When alice pulls "B"
      Then the answer is 404

  @K-PULL-1 @kosync
  Rule: kosync answers 200 and no percentage for a document with no progress

    Scenario: An unread book has no progress
      Given a book "B" that alice has never synced
      When alice pulls "B"
      Then the answer is 200
      And the answer carries no progress

  @S-PREC-1
  Rule: A percentage reads back to at least 12 significant digits

    Scenario: A percentage with all the digits of a double
      When alice pushes "A" at 0.7777777777777778 with progress "7/9"
      Then alice reads "A" at 0.7777777777777778 to 12 significant digits

  @S-PULL-3
  Rule: A percentage of exactly 0 or 1 reads back as that number

    Scenario Outline: Reading back <percentage>
      When alice pushes "A" at <percentage> with progress "edge"
      And alice pulls "A"
      Then the answer's "percentage" is the number <percentage>

      Examples:
        | percentage |
        | 0          |
        | 1          |
