@needs-second-user
Feature: Isolation between users
  Progress belongs to a user: two people reading the same book on the same
  server never see or overwrite each other's position.

  Background:
    Given a book "A"

  @S-ISO-1
  Rule: One user never reads or overwrites another's progress

    Scenario: Two users keep their own positions
      When alice pushes "A" at 0.3 with progress "alice was here"
      And bob pushes "A" at 0.7 with progress "bob was here"
      Then alice reads "A" at 0.3 with progress "alice was here"
      And bob reads "A" at 0.7 with progress "bob was here"

    Scenario: One user's push is not another's progress
      Given a book "B" that bob has never synced
      And alice has pushed "B" at 0.6 with progress "only alice"
      Then bob does not read alice's progress for "B"
