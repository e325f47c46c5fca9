Feature: Media type of answers
  KOReader decodes answers as JSON. Some of its builds read
  `application/json; charset=utf-8` as "no progress found", so the label
  matters as much as the body.

  Background:
    Given a book "A"
    And alice has pushed "A" at 0.5 with progress "5"

  @S-CT-1
  Rule: Answers are JSON with a JSON media type

    Scenario: A pull answers JSON
      When alice pulls "A"
      Then the answer is JSON with a JSON media type

    Scenario: A push answers JSON
      When alice pushes "A" at 0.6 with progress "6"
      Then the answer is JSON with a JSON media type

  @S-CT-2
  Rule: The media type is exactly application/json

    Scenario: No charset parameter on a pull
      When alice pulls "A"
      Then the media type is exactly "application/json"
